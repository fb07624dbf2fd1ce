"""The outbox (core/outbox.py) and the messages sent to people (core/notifications.py)."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..crypto import EncryptedTextField
from .fields import user_reference


class OutboxTask(models.Model):
    """Work to do once a change is committed: a function and its arguments, written in the
    same transaction as the change, so a lost message, a broker outage or a killed worker can
    delay it but never lose it, and running it twice does it once (the row is locked and marked
    done in the transaction that does the work)."""

    function = models.CharField(_("function"), max_length=200)
    args = models.JSONField(_("arguments"), default=list)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # Work that is pointless after a moment (a job offer's message once the offer expired).
    not_after = models.DateTimeField(_("not after"), null=True, blank=True)
    published_at = models.DateTimeField(_("last handed to the broker"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("times handed to the broker"), default=0)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    dropped = models.BooleanField(_("dropped as too late"), default=False)

    class Meta:
        verbose_name = _("outbox task")
        verbose_name_plural = _("outbox tasks")
        indexes = [
            models.Index(
                fields=["created_at"],
                name="outbox_waiting",
                condition=models.Q(done_at__isnull=True),
            ),
            models.Index(fields=["done_at"], name="outbox_done"),
        ]

    def __str__(self):
        return f"{self.function}{tuple(self.args)}"


class MessageChannel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("Email")


class MessageStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    DROPPED = "dropped", _("Not sent: too late")
    HELD = "held", _("Not sent: too many to this number this hour")


class OutgoingMessage(models.Model):
    """One SMS or email to one person, as rendered in their language: sent once by a worker
    (core.tasks.deliver_message), never twice; what support sees of what a customer was told.
    The text is encrypted at rest and, for a phone code, erased once sent."""

    channel = models.CharField(_("channel"), max_length=5, choices=MessageChannel.choices)
    recipient = models.CharField(_("to"), max_length=254)
    user = user_reference(_("person"), related_name="messages", optional=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = EncryptedTextField(_("text"), blank=True)
    secret = models.BooleanField(_("holds a code"), default=False)
    template = models.CharField(_("kind"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    not_after = models.DateTimeField(_("not after"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=MessageStatus.choices, default=MessageStatus.PENDING
    )
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")

    def __str__(self):
        return f"{self.get_channel_display()} → {self.recipient} ({self.get_status_display()})"
