"""An order offered to one provider, who accepts or declines before the deadline (R-MAT-3)."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models.fields import reference
from orders.models import Order
from providers.models import Provider


class OfferStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for an answer")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    EXPIRED = "expired", _("Expired")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Offer(models.Model):
    """An order proposed to one provider, who accepts or declines before it expires."""

    order = reference(Order, _("order"), related_name="offers", on_delete=models.CASCADE)
    provider = reference(Provider, _("provider"), related_name="offers", on_delete=models.CASCADE)
    status = models.CharField(
        _("status"), max_length=20, choices=OfferStatus.choices, default=OfferStatus.PENDING
    )
    created_at = models.DateTimeField(_("offered"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    responded_at = models.DateTimeField(_("answered"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        constraints = [
            # Running the match twice never makes two live offers for one order.
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(status=OfferStatus.PENDING),
                name="offer_one_pending_per_order",
            ),
            # A provider is offered an order once: the decliner is never asked again.
            models.UniqueConstraint(fields=["order", "provider"], name="offer_once_per_provider"),
            models.CheckConstraint(
                condition=Q(status__in=OfferStatus.values), name="offer_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["status", "expires_at"])]

    def __str__(self):
        return f"{self.order} → {self.provider}"
