"""Pluggable SMS sending, like Django's email backends. SMS_BACKEND names the class."""

import logging
import sys

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class SmsDeliveryError(Exception):
    """Raised by a backend for a failure worth retrying (gateway down, rate limited)."""


class ConsoleSmsBackend:
    """Prints each message; the embedded default."""

    def send(self, *, to: str, text: str) -> None:
        sys.stdout.write(f"SMS to {to}: {text}\n")
        sys.stdout.flush()


class LocmemSmsBackend:
    """Keeps messages in `outbox` for tests."""

    outbox: list[dict] = []

    def send(self, *, to: str, text: str) -> None:
        LocmemSmsBackend.outbox.append({"to": to, "text": text})


def send_sms(*, to, text: str) -> None:
    backend = import_string(settings.SMS_BACKEND)()
    backend.send(to=str(to), text=text)
