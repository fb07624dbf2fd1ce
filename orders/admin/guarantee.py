"""Guarantee claims (R-ORD-7) and the customers' balances (R-SUP-7) in the admin: open claims
first, decided by actions that go through `guarantee.decide_claim` (redo, compensate, reject)."""

from functools import partial

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import flatten
from django.contrib.admin.widgets import AdminDateWidget, AdminTimeWidget
from django.db.models import Case, When
from django.utils.translation import gettext_lazy as _

from core.admin import action_with_form

from ..models import ClaimStatus, GuaranteeClaim
from ..services import guarantee


def _note(label, *, required: bool = False) -> forms.CharField:
    return forms.CharField(
        label=label, required=required, max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )


class RedoForm(forms.Form):
    day = forms.DateField(label=_("Date of the new visit"), widget=AdminDateWidget)
    start = forms.TimeField(label=_("Start time"), widget=AdminTimeWidget)
    note = _note(_("Note to the customer"))


class CompensateForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Credit to the customer's balance"), max_digits=14, decimal_places=2
    )
    note = _note(_("Note to the customer"))


class RejectClaimForm(forms.Form):
    note = _note(_("Why is the claim not accepted?"), required=True)


@admin.register(GuaranteeClaim)
class GuaranteeClaimAdmin(admin.ModelAdmin):
    list_display = ("id", "order", "customer", "status", "created_at", "decided_by", "amount")
    list_filter = ("status",)
    search_fields = ("customer__phone", "customer__full_name", "order__id")
    list_select_related = ("order", "customer", "decided_by")
    # Decisions go through decide_claim, which credits, creates the redo order and notifies.
    fields = (
        ("order", "customer", "created_at"),
        "description",
        ("status", "decided_by", "decided_at"),
        "decision_note",
        ("redo_order", "amount"),
    )
    readonly_fields = flatten(fields)
    actions = [
        action_with_form(
            name=decision,
            description=description,
            service=partial(guarantee.decide_claim, decision=decision),
            form_class=form,
            subject="claim",
        )
        for decision, description, form in [
            (guarantee.ClaimDecision.REDO, _("Redo the work at no charge"), RedoForm),
            (
                guarantee.ClaimDecision.COMPENSATE,
                _("Compensate on the customer's balance"),
                CompensateForm,
            ),
            (guarantee.ClaimDecision.REJECT, _("Do not accept the claim"), RejectClaimForm),
        ]
    ]

    def get_ordering(self, request):
        # Open claims first, then the newest.
        return (Case(When(status=ClaimStatus.OPEN, then=0), default=1).asc(), "-created_at")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
