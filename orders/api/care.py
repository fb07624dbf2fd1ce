"""The person cared for in the mobile API (R-ORD-1): given with a create, returned in the
order's detail only to the customer who booked it (`orders.services.care.can_see_care_details`)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ..models import CareRecipient, CompletionReport, Condition, Mobility, OrderStatus
from ..models.care import MAX_AGE
from ..services.care import (
    LANGUAGE_MAX,
    NAME_MAX,
    TEXT_MAX,
    CareDetails,
    can_see_care_details,
    validate_care,
)


class CareRecipientIn(serializers.Serializer):
    """Required for services that ask about the person cared for (elderly care); ignored for
    others. Stored encrypted."""

    full_name = serializers.CharField(max_length=NAME_MAX, help_text=_("Their name."))
    age = serializers.IntegerField(min_value=1, max_value=MAX_AGE)
    mobility = serializers.ChoiceField(choices=Mobility.choices)
    conditions = serializers.ListField(
        child=serializers.ChoiceField(choices=Condition.choices),
        required=False,
        default=list,
        help_text=_("Condition codes from the list."),
    )
    other_conditions = serializers.CharField(
        max_length=TEXT_MAX, required=False, allow_blank=True, default=""
    )
    language = serializers.CharField(
        max_length=LANGUAGE_MAX, help_text=_("The language they speak.")
    )
    special_needs = serializers.CharField(
        max_length=TEXT_MAX, required=False, allow_blank=True, default=""
    )

    def validate(self, attrs) -> CareDetails:
        try:
            return validate_care(CareDetails(**{**attrs, "conditions": tuple(attrs["conditions"])}))
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from None


class CareRecipientOut(serializers.ModelSerializer):
    # Stored encrypted in a text column; a number here as in the request.
    age = serializers.IntegerField()
    mobility_display = serializers.CharField(source="get_mobility_display")
    conditions = serializers.ListField(child=serializers.CharField())
    condition_labels = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = CareRecipient
        fields = [
            "full_name",
            "age",
            "mobility",
            "mobility_display",
            "conditions",
            "condition_labels",
            "other_conditions",
            "language",
            "special_needs",
        ]


def care_out(order, request) -> dict | None:
    """The details for the order's detail, or None when there are none or the caller may not
    see them."""
    user = getattr(request, "user", None)
    if request is None or not can_see_care_details(order, user):
        return None
    recipient = CareRecipient.objects.filter(order=order).first()
    return CareRecipientOut(recipient).data if recipient is not None else None


class CompletionReportOut(serializers.ModelSerializer):
    """What the provider reported when completing the job (R-ORD-6)."""

    options_done = serializers.ListField(
        child=serializers.DictField(), help_text=_('One {"code", "name", "done"} per option.')
    )

    class Meta:
        model = CompletionReport
        fields = ["summary", "options_done", "at"]


def report_out(order) -> dict | None:
    if order.status != OrderStatus.COMPLETED:
        return None  # written when the job is completed, never before
    report = CompletionReport.objects.filter(order=order).first()
    return CompletionReportOut(report).data if report is not None else None
