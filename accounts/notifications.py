"""Messages to users, rendered in the recipient's language and sent by SMS and, if known, email."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

from .sms import send_sms


def notify_user(*, user, template: str, context: dict) -> None:
    """Send `<template>_sms.txt` by SMS and `<template>_subject.txt`/`_email.txt` by email.

    Rendered under the user's preferred language, so it is right inside Celery workers too.
    """
    language = user.preferred_language or settings.LANGUAGE_CODE
    with translation.override(language):
        context = {"user": user, **context}
        sms_text = render_to_string(f"{template}_sms.txt", context).strip()
        send_sms(to=user.phone, text=sms_text)
        if user.email:
            subject = render_to_string(f"{template}_subject.txt", context).strip()
            body = render_to_string(f"{template}_email.txt", context)
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
