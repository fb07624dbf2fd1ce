"""Small input and output serializers, one pair per use case. No rules live here: the booking
rules are in orders.services.booking.check_booking, which the views call."""

from datetime import time

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import CareRecipient, Order, OrderEvent
from ..scheduling import START_TIMES
from ..services.booking import MAX_HOME_AREA_SQM
from .care import CareRecipientIn, CareRecipientOut, CompletionReportOut, care_out, report_out
from .catalogue import (
    CatalogueCodeField,
    CatalogueFieldsIn,
    ChosenOptionOut,
    PriceLineOut,
    price_lines_out,
)

START_CHOICES = [t.strftime("%H:%M") for t in START_TIMES]


class _WhereAndWhatIn(CatalogueFieldsIn):
    service = CatalogueCodeField(
        kind="services",
        help_text=_("The service's code from the catalogue."),
        error_messages={"does_not_exist": _("Choose one of the services on the list.")},
    )
    area = CatalogueCodeField(
        kind="areas",
        help_text=_("The service area's code."),
        error_messages={"does_not_exist": _("We do not serve this area yet.")},
    )
    day = serializers.DateField(help_text=_("The day wanted, YYYY-MM-DD."))
    home_area_sqm = serializers.IntegerField(
        min_value=1,
        max_value=MAX_HOME_AREA_SQM,
        required=False,
        allow_null=True,
        default=None,
        help_text=_("The home's area in square metres (for services priced per m²)."),
        error_messages={"invalid": _("Enter the area as a whole number of square metres.")},
    )


class SlotsQuery(_WhereAndWhatIn):
    pass


class QuoteIn(_WhereAndWhatIn):
    start = serializers.ChoiceField(
        choices=START_CHOICES, help_text=_("Local start time, HH:MM on the half hour.")
    )

    def validate_start(self, value: str) -> time:
        return time.fromisoformat(value)


class OrderCreateIn(QuoteIn):
    """Price, provider and status are never read from the request: the server sets them."""

    address = serializers.CharField(max_length=300)
    notes = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    person_cared_for = CareRecipientIn(required=False)


class NewTimesQuery(serializers.Serializer):
    day = serializers.DateField(help_text=_("The local date to move the order to."))


class NewTimeOut(serializers.Serializer):
    start = serializers.TimeField(format="%H:%M")
    keeps_provider = serializers.BooleanField(
        help_text=_(
            "The assigned provider can come then. Another time releases them: the contract is "
            "voided and the customer chooses a new provider."
        )
    )


class NewTimesOut(serializers.Serializer):
    day = serializers.DateField()
    times = NewTimeOut(many=True)


class RescheduleIn(serializers.Serializer):
    day = serializers.DateField()
    start = serializers.ChoiceField(choices=[t.strftime("%H:%M") for t in START_TIMES])
    reason = serializers.CharField(max_length=500)
    release_provider = serializers.BooleanField(
        default=False,
        help_text=_(
            "Required for a time the assigned provider cannot come: they are released, the "
            "contract is voided and the customer chooses a new provider."
        ),
    )


class CancelIn(serializers.Serializer):
    reason = serializers.CharField(
        max_length=500,
        error_messages={
            "required": _("Say why the order is cancelled."),
            "blank": _("Say why the order is cancelled."),
        },
    )


class QuoteOut(serializers.Serializer):
    service = serializers.CharField(source="service_type.code")
    area = serializers.CharField(source="area.code")
    home_area_sqm = serializers.IntegerField(allow_null=True)
    hours = serializers.IntegerField(allow_null=True)
    options = serializers.ListField(child=serializers.CharField(), help_text=_("Option codes."))
    difficulty = serializers.CharField()
    price_book = serializers.IntegerField(help_text=_("The price book version it was priced by."))
    lines = PriceLineOut(many=True, help_text=_("The price, line by line; they add up to it."))
    price = serializers.DecimalField(max_digits=14, decimal_places=2)
    currency = serializers.CharField()
    minutes = serializers.IntegerField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()


class SlotsOut(serializers.Serializer):
    service = serializers.CharField(source="service_type.code")
    area = serializers.CharField(source="area.code")
    day = serializers.DateField()
    minutes = serializers.IntegerField(help_text=_("How long the job takes."))
    start_times = serializers.ListField(
        child=serializers.CharField(), help_text=_("Local start times (HH:MM) one can book.")
    )


class OrderEventOut(serializers.ModelSerializer):
    status = serializers.CharField(source="to_status")
    status_display = serializers.CharField(source="get_to_status_display")
    reason = serializers.SerializerMethodField()

    class Meta:
        model = OrderEvent
        fields = ["status", "status_display", "reason", "at"]

    def get_reason(self, event) -> str:
        # Platform reasons are English message IDs; a person's own words pass unchanged.
        return gettext(event.reason) if event.reason else ""


class OrderListItemOut(serializers.ModelSerializer):
    status_display = serializers.CharField(source="get_status_display")
    service = serializers.CharField(source="service_type.code")
    service_name = serializers.SerializerMethodField()
    price = serializers.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        model = Order
        fields = [
            "id",
            "status",
            "status_display",
            "service",
            "service_name",
            "starts_at",
            "ends_at",
            "price",
            "currency",
        ]

    def get_service_name(self, order) -> str:
        return gettext(order.service_type.name)


class OrderDetailOut(OrderListItemOut):
    area = serializers.CharField(source="area.code")
    area_name = serializers.SerializerMethodField()
    provider_name = serializers.SerializerMethodField()
    is_cancellable = serializers.BooleanField()
    cancellation_fee = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    timeline = OrderEventOut(source="events", many=True)
    options = ChosenOptionOut(many=True, help_text=_("Extras as booked, at their price then."))
    price_lines = serializers.SerializerMethodField()
    price_book = serializers.IntegerField(source="price_book.number", allow_null=True)
    has_person_cared_for = serializers.SerializerMethodField()
    completion_report = serializers.SerializerMethodField()
    person_cared_for = serializers.SerializerMethodField(
        help_text=_(
            "Only in the order's own page (GET), to the customer who booked it; the answer to a "
            "create leaves it out, as that answer is kept for replays."
        )
    )

    class Meta(OrderListItemOut.Meta):
        fields = [
            *OrderListItemOut.Meta.fields,
            "area",
            "area_name",
            "address",
            "home_area_sqm",
            "hours",
            "difficulty",
            "options",
            "price_lines",
            "price_book",
            "notes",
            "channel",
            "provider_name",
            "is_cancellable",
            "cancellation_fee",
            "created_at",
            "timeline",
            "has_person_cared_for",
            "person_cared_for",
            "completion_report",
        ]

    @extend_schema_field(PriceLineOut(many=True))
    def get_price_lines(self, order):
        return price_lines_out(order.price_breakdown)

    def get_area_name(self, order) -> str:
        return gettext(order.area.name)

    def get_provider_name(self, order) -> str | None:
        return order.provider.first_name if order.provider_id else None

    @extend_schema_field(CompletionReportOut(allow_null=True))
    def get_completion_report(self, order):
        return report_out(order)

    def get_has_person_cared_for(self, order) -> bool:
        # The service decides: booking one that asks about the person requires the details.
        if order.service_type.asks_about_person_cared_for:
            return CareRecipient.objects.filter(order=order).exists()
        return False

    @extend_schema_field(CareRecipientOut(allow_null=True))
    def get_person_cared_for(self, order):
        # Only for the customer who booked it (the request must be in the context); never in
        # an answer stored for Idempotency-Key replays (a replay is not a checked read).
        if self.context.get("omit_care"):
            return None
        return care_out(order, self.context.get("request"))


class OrderPageOut(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = OrderListItemOut(many=True)
