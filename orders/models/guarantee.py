"""The guarantee (R-ORD-7): claims and the customer balance they may credit."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models.fields import user_reference

from .core import Order


class ClaimStatus(models.TextChoices):
    OPEN = "open", _("Waiting for a decision")
    REDO = "redo", _("The work will be redone")
    COMPENSATED = "compensated", _("Compensated")
    REJECTED = "rejected", _("Not accepted")


class GuaranteeClaim(models.Model):
    """A customer's claim that a completed job was not satisfactory (R-ORD-7)."""

    order = models.OneToOneField(
        Order, models.PROTECT, related_name="guarantee_claim", verbose_name=_("order")
    )
    customer = user_reference(_("customer"), related_name="guarantee_claims")
    description = models.TextField(_("what was wrong"))
    status = models.CharField(
        _("status"), max_length=20, choices=ClaimStatus.choices, default=ClaimStatus.OPEN
    )
    created_at = models.DateTimeField(_("claimed"), auto_now_add=True)
    decided_by = user_reference(_("decided by"), optional=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    redo_order = models.OneToOneField(
        Order,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="redo_of_claim",
        verbose_name=_("redo order"),
    )
    amount = models.DecimalField(
        _("compensation"), max_digits=14, decimal_places=2, null=True, blank=True
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("guarantee claim")
        verbose_name_plural = _("guarantee claims")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ClaimStatus.values), name="claim_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gt=0), name="claim_amount_positive"
            ),
        ]

    def __str__(self):
        return _("Claim on order #%(number)s") % {"number": self.order_id}
