"""Messages to people, rendered in the recipient's language and sent by SMS and, if known,
email: each one an `OutgoingMessage`, written in the caller's transaction and delivered once by
a worker through the outbox (core/outbox.py): never lost, never sent twice, not sent at all
when it comes too late (`not_after`)."""

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .models import MessageChannel, MessageStatus, OutgoingMessage
from .outbox import after_commit
from .sms import send_sms

_silenced: ContextVar[bool] = ContextVar("notifications_silenced", default=False)


@contextmanager
def silenced():
    """Nothing is said to anyone inside: for loading demo people, who have no phones."""
    token = _silenced.set(True)
    try:
        yield
    finally:
        _silenced.reset(token)


def notify_user(
    *, user, template: str, context: dict, not_after: datetime | None = None
) -> list[OutgoingMessage]:
    """Send `<template>_sms.txt` by SMS and `<template>_subject.txt`/`_email.txt` by email,
    rendered now in the user's preferred language; delivered after the commit."""
    if _silenced.get():
        return []
    language = user.preferred_language or settings.LANGUAGE_CODE
    with translation.override(language):
        context = {"user": user, **context}
        messages = [
            _message(
                channel=MessageChannel.SMS,
                recipient=str(user.phone),
                user=user,
                template=template,
                body=render_to_string(f"{template}_sms.txt", context).strip(),
                not_after=not_after,
            )
        ]
        if user.email:
            messages.append(
                _message(
                    channel=MessageChannel.EMAIL,
                    recipient=user.email,
                    user=user,
                    template=template,
                    subject=render_to_string(f"{template}_subject.txt", context).strip(),
                    body=render_to_string(f"{template}_email.txt", context),
                    not_after=not_after,
                )
            )
    return messages


def send_text(*, to: str, text: str, secret: bool = False) -> OutgoingMessage | None:
    """One SMS to a number that may have no account yet (a phone code: `secret`, its text is
    erased once sent)."""
    if _silenced.get():
        return None
    return _message(channel=MessageChannel.SMS, recipient=to, body=text, secret=secret)


def _message(*, not_after=None, **fields) -> OutgoingMessage:
    message = OutgoingMessage.objects.create(not_after=not_after, **fields)
    after_commit(deliver_message, message.pk, not_after=not_after)
    return message


def deliver_message(message_id: int) -> str:
    """Send the message if it is still waiting and not too late; record what became of it.
    Runs in the outbox's transaction: a second delivery of the same task finds it sent."""
    with transaction.atomic():
        message = OutgoingMessage.objects.select_for_update().get(pk=message_id)
        if message.status != MessageStatus.PENDING:
            return message.status
        now = timezone.now()
        if message.not_after is not None and message.not_after < now:
            message.status = MessageStatus.DROPPED
        elif message.channel == MessageChannel.SMS:
            sent = send_sms(to=message.recipient, text=message.body, key=f"message-{message.pk}")
            message.status = MessageStatus.SENT if sent else MessageStatus.HELD
        else:
            send_mail(
                message.subject, message.body, settings.DEFAULT_FROM_EMAIL, [message.recipient]
            )
            message.status = MessageStatus.SENT
        if message.status == MessageStatus.SENT:
            message.sent_at = now
        if message.secret:
            message.body = ""
        message.save(update_fields=["status", "sent_at", "body"])
        return message.status
