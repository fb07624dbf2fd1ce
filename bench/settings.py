"""Bench-only settings: the app's settings with a URLconf that adds the bare JSON view.

Used only by bench/booking.py (DJANGO_SETTINGS_MODULE=bench.settings); the app never imports it.
"""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.bench_urls"
