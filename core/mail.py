"""Email in the embedded mode: printed to the terminal as a readable block (Django's console
backend prints the raw MIME message, whose Persian or Chinese body is base64)."""

import sys

from django.core.mail.backends.base import BaseEmailBackend

from .sms import console_block


class ConsoleEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        for message in email_messages:
            title = f"Email to {', '.join(message.to)}: {message.subject}"
            sys.stdout.write(console_block(title, message.body))
        sys.stdout.flush()
        return len(email_messages)
