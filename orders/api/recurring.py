"""Recurring cleaning in the mobile API: read the standing agreement for an order, start a
series (optionally signing the agreement), list your series with their coming dates, pause,
resume or end one. Thin views over orders.services.recurring."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response

from accounts.api import ERRORS, CustomerAPIView
from core.api import ErrorOut, validated
from core.signing import text_sha256
from core.throttle import client_ip

from .. import selectors
from ..models import Order, RecurringSeries, SeriesInterval, SeriesOccurrence
from ..services import recurring

TAGS = ["recurring"]
NOT_FOUND = {404: OpenApiResponse(ErrorOut, description=_("No such order or series of yours."))}


class AgreementOut(serializers.Serializer):
    interval = serializers.ChoiceField(choices=SeriesInterval.choices)
    first_on = serializers.DateField(help_text=_("The first repeat's local date."))
    text = serializers.CharField(help_text=_("The exact text to show before signing."))
    text_sha256 = serializers.CharField(help_text=_("Send it back to sign this exact text."))


class AgreementIn(serializers.Serializer):
    typed_name = serializers.CharField(max_length=150, help_text=_("The customer's full name."))
    text_sha256 = serializers.CharField(max_length=64)


class SeriesCreateIn(serializers.Serializer):
    order = serializers.IntegerField(help_text=_("A confirmed or completed order of yours."))
    interval = serializers.ChoiceField(choices=SeriesInterval.choices)
    agreement = AgreementIn(
        required=False,
        help_text=_("Sign the standing agreement covering each visit's contract (optional)."),
    )


class ReasonIn(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class OccurrenceOut(serializers.ModelSerializer):
    order_status = serializers.CharField(source="order.status", default=None, allow_null=True)
    starts_at = serializers.DateTimeField(source="order.starts_at", default=None, allow_null=True)

    class Meta:
        model = SeriesOccurrence
        fields = ["occurs_on", "order", "order_status", "starts_at", "problem"]


class SeriesOut(serializers.ModelSerializer):
    service = serializers.SlugRelatedField(source="service_type", slug_field="code", read_only=True)
    area = serializers.SlugRelatedField(slug_field="code", read_only=True)
    has_agreement = serializers.SerializerMethodField()
    coming = serializers.SerializerMethodField()

    class Meta:
        model = RecurringSeries
        fields = [
            "id",
            "status",
            "interval",
            "weekday",
            "start_time",
            "starts_on",
            "ends_on",
            "service",
            "area",
            "address",
            "first_order",
            "has_agreement",
            "coming",
        ]

    def get_has_agreement(self, series) -> bool:
        return hasattr(series, "agreement")

    @extend_schema_field(OccurrenceOut(many=True))
    def get_coming(self, series):
        today = timezone.localdate()
        occurrences = series.occurrences.filter(occurs_on__gte=today).select_related("order")
        return OccurrenceOut(occurrences, many=True).data


def _own_series(request, pk) -> RecurringSeries:
    try:
        return recurring.series_for_customer(customer=request.user).get(pk=pk)
    except RecurringSeries.DoesNotExist:
        raise exceptions.NotFound() from None


def _own_order(request, pk) -> Order:
    try:
        return selectors.orders_for_customer(customer=request.user).get(pk=pk)
    except Order.DoesNotExist:
        raise exceptions.NotFound() from None


class RepeatAgreementView(CustomerAPIView):
    @extend_schema(
        tags=TAGS,
        operation_id="orders_repeat_agreement",
        summary="The standing agreement to repeat one of your orders",
        parameters=[
            OpenApiParameter(
                "interval",
                OpenApiTypes.STR,
                enum=SeriesInterval.values,
                description=_("weekly (default) or fortnightly"),
            )
        ],
        responses={200: AgreementOut, **ERRORS, **NOT_FOUND},
    )
    def get(self, request, pk):
        order = _own_order(request, pk)
        interval = request.query_params.get("interval", SeriesInterval.WEEKLY)
        if interval not in SeriesInterval.values:
            raise exceptions.ValidationError({"interval": [_("Choose weekly or fortnightly.")]})
        refusal = recurring.repeat_refusal(order)
        if refusal:
            raise exceptions.ValidationError({"order": [refusal]})
        text = recurring.render_agreement(
            order=order, interval=interval, language=recurring.customer_language(request.user)
        )
        body = {
            "interval": interval,
            "first_on": recurring.first_repeat_on(order, interval),
            "text": text,
            "text_sha256": text_sha256(text),
        }
        return Response(AgreementOut(body).data)


class SeriesListCreateView(CustomerAPIView):
    @extend_schema(
        tags=TAGS,
        operation_id="series_list",
        summary="Your recurring cleaning with the coming dates",
        responses={200: SeriesOut(many=True), **ERRORS},
    )
    def get(self, request):
        series = recurring.series_for_customer(customer=request.user)
        return Response(SeriesOut(series, many=True).data)

    @extend_schema(
        tags=TAGS,
        operation_id="series_create",
        summary="Repeat one of your orders every week or two",
        request=SeriesCreateIn,
        responses={201: SeriesOut, **ERRORS, **NOT_FOUND},
    )
    def post(self, request):
        fields = validated(SeriesCreateIn, request.data)
        order = _own_order(request, fields["order"])
        signed = fields.get("agreement")
        agreement = None
        if signed:
            agreement = recurring.AgreementSignature(
                typed_name=signed["typed_name"],
                shown_sha256=signed["text_sha256"],
                ip_address=client_ip(request) or None,
                user_agent=request.META.get("HTTP_USER_AGENT", ""),
            )
        series = recurring.start_series(
            order=order, actor=request.user, interval=fields["interval"], agreement=agreement
        )
        return Response(
            SeriesOut(_own_series(request, series.pk)).data, status=status.HTTP_201_CREATED
        )


def _change_view(action: str, change, summary: str):
    class SeriesChangeView(CustomerAPIView):
        @extend_schema(
            tags=TAGS,
            operation_id=f"series_{action}",
            summary=summary,
            request=ReasonIn,
            responses={200: SeriesOut, **ERRORS, **NOT_FOUND},
        )
        def post(self, request, pk):
            series = _own_series(request, pk)
            data = validated(ReasonIn, request.data)
            change(series=series, actor=request.user, reason=data["reason"])
            return Response(SeriesOut(_own_series(request, pk)).data)

    SeriesChangeView.__name__ = f"Series{action.capitalize()}View"
    return SeriesChangeView


SeriesPauseView = _change_view("pause", recurring.pause_series, "Pause a recurring cleaning")
SeriesResumeView = _change_view("resume", recurring.resume_series, "Resume a recurring cleaning")
SeriesEndView = _change_view("end", recurring.end_series, "End a recurring cleaning for good")
