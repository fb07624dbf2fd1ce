"""Doing the job (R-ORD-6): the provider's arrival check-in and the completion report.

Both are written once, by the services in `orders.services.execution`, together with the
order's audit event; the admin shows them read-only.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from core.crypto import EncryptedTextField
from core.models.fields import reference
from providers.models import Provider

from .core import Order

# What the provider confirms with the customer on arrival. Labels are English message IDs,
# stored as codes and translated when shown.
CHECK_IN_ITEMS = {
    "address": gettext_noop("The address is the one booked"),
    "service": gettext_noop("The service and the options booked are what the customer wants"),
    "home_area": gettext_noop("The home and its area are as described"),
    "person_cared_for": gettext_noop("The details of the person cared for are as described"),
    "personal_requests": gettext_noop("The personal requests are understood"),
}


class ArrivalCheckIn(models.Model):
    """The provider arrived and went through the booking's details with the customer."""

    order = models.OneToOneField(
        Order, models.CASCADE, related_name="check_in", verbose_name=_("order")
    )
    provider = reference(Provider, _("provider"))
    at = models.DateTimeField(_("arrived"), auto_now_add=True)
    # Codes from CHECK_IN_ITEMS, each confirmed with the customer.
    confirmed_items = models.JSONField(_("details confirmed"), default=list)
    has_differences = models.BooleanField(_("something differs from the booking"), default=False)
    # May mention the person cared for, so it is encrypted like their details.
    differences = EncryptedTextField(_("what differs"), blank=True)

    class Meta:
        verbose_name = _("arrival check-in")
        verbose_name_plural = _("arrival check-ins")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(has_differences=False) | ~models.Q(differences=""),
                name="check_in_differences_described",
            )
        ]

    def __str__(self):
        return _("Check-in for order #%(number)s") % {"number": self.order_id}

    @property
    def confirmed_labels(self) -> list[str]:
        return [CHECK_IN_ITEMS.get(code, code) for code in self.confirmed_items]


class CompletionReport(models.Model):
    """What the provider did, written when completing the job; shown to customer and staff."""

    order = models.OneToOneField(
        Order, models.CASCADE, related_name="completion_report", verbose_name=_("order")
    )
    provider = reference(Provider, _("provider"))
    at = models.DateTimeField(_("written"), auto_now_add=True)
    # Often about the person cared for (meals, medicines, mood): encrypted like their details.
    summary = EncryptedTextField(_("what was done"))
    # One {"code", "name", "done"} per option booked with the order, in the order booked.
    options_done = models.JSONField(_("options done"), default=list, blank=True)

    class Meta:
        verbose_name = _("completion report")
        verbose_name_plural = _("completion reports")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(summary=""), name="completion_report_has_summary"
            )
        ]

    def __str__(self):
        return _("Report for order #%(number)s") % {"number": self.order_id}

    @property
    def options_not_done(self) -> list[dict]:
        return [option for option in self.options_done if not option.get("done")]
