"""The vetting console: one admin module per topic."""

from . import core  # noqa: F401
