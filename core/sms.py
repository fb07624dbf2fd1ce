"""Pluggable SMS sending, like Django's email backends. SMS_BACKEND names the class."""

import logging
import sys

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class SmsDeliveryError(Exception):
    """Raised by a backend for a failure worth retrying (gateway down, rate limited)."""


def console_block(title: str, body: str) -> str:
    """A message as printed in the embedded mode's terminal: a block easy to find among the
    server's log lines (an applicant reads their phone code there)."""
    rule = "-" * 72
    return f"\n{rule}\n{title}\n{rule}\n{body.strip()}\n{rule}\n\n"


class ConsoleSmsBackend:
    """Prints each message as a block; the embedded default."""

    def send(self, *, to: str, text: str) -> None:
        sys.stdout.write(console_block(f"SMS to {to}", text))
        sys.stdout.flush()


class LocmemSmsBackend:
    """Keeps messages in `outbox` for tests."""

    outbox: list[dict] = []

    def send(self, *, to: str, text: str) -> None:
        LocmemSmsBackend.outbox.append({"to": to, "text": text})


def send_sms(*, to, text: str) -> None:
    backend = import_string(settings.SMS_BACKEND)()
    backend.send(to=str(to), text=text)
