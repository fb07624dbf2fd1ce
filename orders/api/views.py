"""The mobile API: one thin view per use case. Parse, call orders services, serialize."""

from datetime import time

from django.db.models import prefetch_related_objects
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response

from accounts.api import AUTH_ERRORS, ERRORS, CustomerAPIView
from core.api import NOT_FOUND_PAGE, ErrorOut, PageQuery, Pagination, validated

from .. import availability, scheduling, selectors
from ..models import Channel, Difficulty, Order
from ..pricing import quote_for
from ..services.booking import BookingRequest, book_order, check_booking
from ..services.lifecycle import cancel_order, reschedule_order
from . import idempotency
from .catalogue import price_lines_out
from .serializers import (
    CancelIn,
    NewTimesOut,
    NewTimesQuery,
    OrderCreateIn,
    OrderDetailOut,
    OrderListItemOut,
    OrderPageOut,
    QuoteIn,
    QuoteOut,
    RescheduleIn,
    SlotsOut,
    SlotsQuery,
)

TAGS = ["orders"]
NOT_FOUND = {404: OpenApiResponse(ErrorOut, description=_("No such order of yours."))}


class OrderAPIView(CustomerAPIView):
    # check_booking names the service "service_type"; the API calls it "service".
    error_field_names = {"service_type": "service"}


def _booking_request(data: dict, *, address: str = "-", notes: str = ""):
    return BookingRequest(
        service_type=data["service"],
        area=data["area"],
        address=address,
        day=data["day"],
        start=data["start"],
        home_area_sqm=data.get("home_area_sqm"),
        notes=notes,
        hours=data.get("hours"),
        options=tuple(data.get("options") or ()),
        difficulty=data.get("difficulty") or Difficulty.NORMAL,
    )


class QuoteView(OrderAPIView):
    @extend_schema(
        tags=TAGS,
        operation_id="quote",
        summary="Price and times of a job, before booking",
        request=QuoteIn,
        responses={200: QuoteOut, **ERRORS},
    )
    def post(self, request):
        data = validated(QuoteIn, request.data)
        # No address is needed for a price (a placeholder passes the address rule), nor the
        # details of the person cared for.
        checked = check_booking(_booking_request(data), with_care=False)
        quote = checked.quote
        return Response(
            QuoteOut(
                {
                    "service_type": quote.service_type,
                    "area": data["area"],
                    "home_area_sqm": quote.home_area_sqm,
                    "hours": quote.hours,
                    "options": [option.code for option in quote.options],
                    "difficulty": quote.difficulty,
                    "price_book": quote.price_book.number,
                    "lines": price_lines_out(quote.lines),
                    "price": quote.price,
                    "currency": quote.currency,
                    "minutes": quote.minutes,
                    "starts_at": checked.starts_at,
                    "ends_at": checked.ends_at,
                }
            ).data
        )


class SlotsView(OrderAPIView):
    @extend_schema(
        tags=TAGS,
        operation_id="slots",
        summary="Start times one can book that day",
        parameters=[SlotsQuery],
        responses={200: SlotsOut, **ERRORS},
    )
    def get(self, request):
        data = validated(SlotsQuery, request.query_params)
        quote = quote_for(
            service_type=data["service"],
            home_area_sqm=data.get("home_area_sqm"),
            hours=data.get("hours"),
            options=data.get("options") or (),
        )
        times = availability.start_times(
            service_type=data["service"],
            area=data["area"],
            day=data["day"],
            duration=quote.duration,
        )
        return Response(
            SlotsOut(
                {
                    "service_type": data["service"],
                    "area": data["area"],
                    "day": data["day"],
                    "minutes": quote.minutes,
                    "start_times": [t.strftime("%H:%M") for t in times],
                }
            ).data
        )


IDEMPOTENCY_HEADER = OpenApiParameter(
    idempotency.HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description=_(
        "Optional. A unique string per order; a retry with the same key and body returns "
        "the first answer (header Idempotent-Replayed: true) instead of a second order."
    ),
)


class OrderListCreateView(OrderAPIView):
    @extend_schema(
        tags=TAGS,
        operation_id="orders_list",
        summary="Your orders, newest first",
        parameters=[PageQuery],
        responses={200: OrderPageOut, **ERRORS, **NOT_FOUND_PAGE},
    )
    def get(self, request):
        orders = selectors.orders_for_customer(customer=request.user).order_by("-created_at", "-id")
        paginator = Pagination()
        page = paginator.paginate_queryset(orders, request, view=self)
        return paginator.get_paginated_response(OrderListItemOut(page, many=True).data)

    @extend_schema(
        tags=TAGS,
        operation_id="orders_create",
        summary="Book a job at the server's price",
        parameters=[IDEMPOTENCY_HEADER],
        request=OrderCreateIn,
        responses={
            201: OrderDetailOut,
            **ERRORS,
            422: OpenApiResponse(ErrorOut, description=_("The key was used for another request.")),
        },
    )
    def post(self, request):
        key = idempotency.key_from(request)
        if key is None:
            status_code, body = self._create(request)
            return Response(body, status=status_code)
        return idempotency.run_once(
            user=request.user,
            key=key,
            request_fingerprint=idempotency.fingerprint(request.data),
            create=lambda: self._create(request),
        )

    def _create(self, request):
        fields = validated(OrderCreateIn, request.data)
        checked = check_booking(
            _booking_request(fields, address=fields["address"], notes=fields["notes"]),
            care=fields.get("person_cared_for"),
        )
        order = book_order(customer=request.user, booking=checked, channel=Channel.API)
        # The order as saved, with its service, area and price book already in hand: only its
        # first event and its options are read back.
        prefetch_related_objects([order], "events", "options")
        # The answer may be stored for replays: it leaves out the details of the person cared for.
        body = OrderDetailOut(order, context={"request": request, "omit_care": True}).data
        return status.HTTP_201_CREATED, body


def _order_with_timeline(*, customer, pk):
    """The customer's own order, or 404 (another customer's order does not exist for them),
    with what its detail shows."""
    orders = (
        selectors.orders_for_customer(customer=customer)
        .select_related("price_book")
        .prefetch_related("events", "options")
    )
    try:
        return orders.get(pk=pk)
    except Order.DoesNotExist:
        raise exceptions.NotFound() from None


class OrderDetailView(OrderAPIView):
    @extend_schema(
        tags=TAGS,
        operation_id="orders_retrieve",
        summary="One of your orders with its status timeline",
        responses={200: OrderDetailOut, **AUTH_ERRORS, **NOT_FOUND},
    )
    def get(self, request, pk):
        order = _order_with_timeline(customer=request.user, pk=pk)
        return Response(OrderDetailOut(order, context={"request": request}).data)


class OrderCancelView(OrderAPIView):
    @extend_schema(
        tags=TAGS,
        operation_id="orders_cancel",
        summary="Cancel one of your orders",
        request=CancelIn,
        responses={200: OrderDetailOut, **ERRORS, **NOT_FOUND},
    )
    def post(self, request, pk):
        order = _order_with_timeline(customer=request.user, pk=pk)
        data = validated(CancelIn, request.data)
        cancel_order(order=order, actor=request.user, reason=data["reason"])
        order = _order_with_timeline(customer=request.user, pk=pk)
        return Response(OrderDetailOut(order, context={"request": request}).data)


class OrderNewTimesView(OrderAPIView):
    @extend_schema(
        tags=TAGS,
        operation_id="orders_new_times",
        summary="The times one of your orders can move to that day, its provider's first",
        parameters=[NewTimesQuery],
        responses={200: NewTimesOut, **ERRORS, **NOT_FOUND},
    )
    def get(self, request, pk):
        order = _order_with_timeline(customer=request.user, pk=pk)
        query = validated(NewTimesQuery, request.query_params)
        day = query["day"]
        times = scheduling.new_times(order=order, day=day)
        return Response(NewTimesOut({"day": day, "times": times}).data)


class OrderRescheduleView(OrderAPIView):
    @extend_schema(
        tags=TAGS,
        operation_id="orders_reschedule",
        summary="Move one of your orders to another time",
        request=RescheduleIn,
        responses={200: OrderDetailOut, **ERRORS, **NOT_FOUND},
    )
    def post(self, request, pk):
        order = _order_with_timeline(customer=request.user, pk=pk)
        fields = validated(RescheduleIn, request.data)
        reschedule_order(
            order=order,
            actor=request.user,
            day=fields["day"],
            start=time.fromisoformat(fields["start"]),
            reason=fields["reason"],
            release_provider=fields["release_provider"],
        )
        order = _order_with_timeline(customer=request.user, pk=pk)
        return Response(OrderDetailOut(order, context={"request": request}).data)
