"""Pluggable SMS sending, like Django's email backends. SMS_BACKEND names the class."""

import logging
import sys

from django.conf import settings
from django.utils.module_loading import import_string

from .throttle import Limit, Limited, hit

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

    def send(self, *, to: str, text: str, key: str | None = None) -> None:
        sys.stdout.write(console_block(f"SMS to {to}", text))
        sys.stdout.flush()


class LocmemSmsBackend:
    """Keeps messages in `outbox` for tests."""

    outbox: list[dict] = []

    def send(self, *, to: str, text: str, key: str | None = None) -> None:
        LocmemSmsBackend.outbox.append({"to": to, "text": text})


def send_sms(*, to, text: str, key: str | None = None) -> bool:
    """Send one SMS; False when the number has had SMS_PER_NUMBER_PER_HOUR this hour already
    (R-SEC-3: no booking spree or code requests can flood a phone), logged and not sent.

    `key` names the message for good ("message-<id>"): a backend passes it to the gateway as
    the client's reference (Kavenegar's `localid`, for one), and a gateway that keeps such
    references drops a second send of one key. That is what makes a send retried after a
    worker died between the gateway's answer and our commit reach the phone once."""
    to = str(to)
    try:
        hit([(Limit("sms-number", settings.SMS_PER_NUMBER_PER_HOUR, 3600), to)])
    except Limited:
        logger.warning("SMS to …%s not sent: SMS_PER_NUMBER_PER_HOUR reached", to[-4:])
        return False
    import_string(settings.SMS_BACKEND)().send(to=to, text=text, key=key)
    return True
