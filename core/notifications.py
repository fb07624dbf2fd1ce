"""Messages to users, rendered in the recipient's language and sent by SMS and, if known, email."""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from .tasks import delay_or_log, send_email_task, send_sms_task


def notify_user(*, user, template: str, context: dict) -> None:
    """Send `<template>_sms.txt` by SMS and `<template>_subject.txt`/`_email.txt` by email.

    Rendered now, in the user's preferred language (right inside Celery workers too); delivered
    by tasks that retry when a gateway fails, so a failing gateway never undoes the caller's work.
    """
    language = user.preferred_language or settings.LANGUAGE_CODE
    with translation.override(language):
        context = {"user": user, **context}
        sms_text = render_to_string(f"{template}_sms.txt", context).strip()
        delay_or_log(send_sms_task, str(user.phone), sms_text)
        if user.email:
            subject = render_to_string(f"{template}_subject.txt", context).strip()
            body = render_to_string(f"{template}_email.txt", context)
            delay_or_log(send_email_task, subject, body, user.email)
