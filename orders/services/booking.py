"""Booking (R-ORD-1, R-ORD-2, R-ORD-5): every channel's rules in one check, then one write.

Every channel (the web form, the operator's phone form, the API, a recurring series) builds a
`BookingRequest` and calls `check_booking`, which applies every rule once: the service and area
are offered, the home area and address are given, the price from the current price book
(`orders.pricing.quote_for`), the lead time, horizon and same-day end, the details of the
person cared for when the service asks about them, and that somebody is free then. Its result,
a `CheckedBooking`, is what `book_order` saves: the order is never priced twice, and no channel
can book what another would refuse.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from accounts.models import User
from core.outbox import after_commit
from providers.models import ServiceArea

from .. import availability
from ..models import Channel, Order, OrderOption, SavedAddress, ServiceType
from ..models import OrderStatus as S
from ..notifications import tell_order_received
from ..pricing import Quote, quote_for
from ..signals import order_requested
from .care import CareDetails, create_care_recipient, validate_care
from .common import begin

MAX_HOME_AREA_SQM = 2000

CARE_REQUIRED = gettext_noop("This service asks about the person cared for: fill in their details.")
NOBODY_FREE = gettext_noop("No provider is free then. Please choose another time or another day.")

BOOKED_REASONS: dict[str, str] = {
    Channel.WEB: gettext_noop("Booked on the web"),
    Channel.API: gettext_noop("Booked in the mobile app"),
    Channel.PHONE: gettext_noop("Booked by phone"),
    Channel.RECURRING: gettext_noop("Booked ahead for a recurring series"),
}


class NobodyFree(ValidationError):
    """Every rule holds but nobody can take the job then (R-ORD-5); keyed by "start"."""


@dataclass(frozen=True)
class BookingRequest:
    service_type: ServiceType
    area: ServiceArea
    address: str
    day: date
    start: time
    home_area_sqm: int | None
    notes: str = ""
    # R-ORD-2: per-hour services are booked by hours; options are ServiceOption objects and are
    # checked against the service; difficulty is the home's condition (pricebook.Difficulty).
    hours: int | None = None
    options: tuple = ()
    difficulty: str = "normal"


@dataclass(frozen=True)
class CheckedBooking:
    """A request that passed every rule, with its price and times: what `book_order` saves."""

    request: BookingRequest
    quote: Quote
    starts_at: datetime
    ends_at: datetime
    care: CareDetails | None = None


def check_booking(
    request: BookingRequest, *, care: CareDetails | None = None, with_care: bool = True
) -> CheckedBooking:
    """Apply every booking rule (see the module doc) and price the request.

    Raises ValidationError with messages keyed by field ("service_type", "area", "address",
    "home_area_sqm", "day", "start", the quote's fields, "person_cared_for" or the care
    details' own), so forms and the API can show them. `with_care=False` checks a request for
    a price only, without the details of the person cared for.
    """
    errors = {}
    if not request.service_type.is_active:
        errors["service_type"] = _("This service is not offered at the moment.")
    if not request.area.is_active:
        errors["area"] = _("We do not serve this area yet.")
    if request.home_area_sqm is not None and not 0 < request.home_area_sqm <= MAX_HOME_AREA_SQM:
        errors["home_area_sqm"] = _("Enter the home area in square metres, from 1 to %(max)s.") % {
            "max": MAX_HOME_AREA_SQM
        }
    if not request.address.strip():
        errors["address"] = _("Enter the address.")
    if errors:
        raise ValidationError(errors)
    quote = quote_for(
        service_type=request.service_type,
        home_area_sqm=request.home_area_sqm,
        hours=request.hours,
        options=request.options,
        difficulty=request.difficulty,
    )
    starts_at, ends_at = validate_time(
        day=request.day, start=request.start, duration=quote.duration
    )
    if not with_care or not request.service_type.asks_about_person_cared_for:
        care = None
    elif care is None:
        raise ValidationError({"person_cared_for": _(CARE_REQUIRED)})
    else:
        care = validate_care(care)
    if not availability.is_start_available(
        service_type=request.service_type, area=request.area, starts_at=starts_at, ends_at=ends_at
    ):
        raise NobodyFree({"start": _(NOBODY_FREE)})
    return CheckedBooking(
        request=request, quote=quote, starts_at=starts_at, ends_at=ends_at, care=care
    )


def validate_time(*, day: date, start: time, duration: timedelta) -> tuple[datetime, datetime]:
    """Check a job of `duration` may start then: lead time, booking horizon, same-day end."""
    errors = {}
    starts_at = timezone.make_aware(datetime.combine(day, start))
    ends_at = starts_at + duration
    now = timezone.now()
    if starts_at < now + timedelta(minutes=settings.BOOKING_MIN_LEAD_MINUTES):
        errors["day"] = _("Choose a time at least %(minutes)s minutes from now.") % {
            "minutes": settings.BOOKING_MIN_LEAD_MINUTES
        }
    elif starts_at > now + timedelta(days=settings.BOOKING_MAX_DAYS_AHEAD):
        errors["day"] = _("Bookings open %(days)s days ahead.") % {
            "days": settings.BOOKING_MAX_DAYS_AHEAD
        }
    if timezone.localtime(ends_at).date() != day:
        errors["start"] = _("The job must end the same day; choose an earlier start.")
    if errors:
        raise ValidationError(errors)
    return starts_at, ends_at


def _save_address(*, customer, address: str, area: ServiceArea) -> None:
    """Remember where the customer booked (R-ORD-1); a repeat only moves it to the top."""
    # One statement (an upsert): inserted, or its last use moved to now.
    SavedAddress.objects.bulk_create(
        [SavedAddress(customer=customer, address=address, area=area)],
        update_conflicts=True,
        unique_fields=["customer", "address", "area"],
        update_fields=["last_used_at"],
    )


def _freeze_options(order: Order, quote: Quote) -> None:
    """The chosen options with their name and price at booking time (R-ORD-2)."""
    OrderOption.objects.bulk_create(
        [
            OrderOption(
                order=order,
                option=option,
                name=option.name,
                price=quote.option_prices[option.pk],
                extra_minutes=option.extra_minutes,
            )
            for option in quote.options
        ]
    )


# Orders a customer books themselves; phone, recurring and guarantee orders are made by staff or
# by the platform and are not counted against the customer.
SELF_SERVICE_CHANNELS = (Channel.WEB, Channel.API)
OPEN_STATUSES = (S.REQUESTED, S.OFFERED, S.NO_PROVIDER, S.CONFIRMED, S.IN_PROGRESS)


class TooManyOpenOrders(ValidationError):
    """The customer has as many open orders as one account may have (R-SEC-3)."""


def _refuse_too_many_open_orders(customer) -> None:
    """At most MAX_OPEN_ORDERS_PER_CUSTOMER open orders per customer: one account cannot flood
    the providers with offers, nor a number with messages. The customer's row is locked, so
    concurrent bookings are counted one after the other."""
    User.objects.select_for_update().filter(pk=customer.pk).first()
    limit = settings.MAX_OPEN_ORDERS_PER_CUSTOMER
    if Order.objects.filter(customer=customer, status__in=OPEN_STATUSES).count() >= limit:
        raise TooManyOpenOrders(
            ngettext(
                "You have %(count)d open order, as many as one account may have. Wait until it "
                "is done, or cancel it, before booking another; call support for more.",
                "You have %(count)d open orders, as many as one account may have. Wait until "
                "one is done, or cancel one, before booking another; call support for more.",
                limit,
            )
            % {"count": limit}
        )


@transaction.atomic
def book_order(
    *,
    customer,
    booking: CheckedBooking,
    channel: str = Channel.WEB,
    taken_by=None,
    preferred_provider=None,
) -> Order:
    """Save a checked booking as a requested order at its price; matching starts on commit.
    `taken_by` is the operator who took a phone order; `preferred_provider` the provider a
    recurring series prefers. The address is saved for next time, and the details of the
    person cared for are saved encrypted with the order."""
    request, quote = booking.request, booking.quote
    if channel in SELF_SERVICE_CHANNELS:
        _refuse_too_many_open_orders(customer)
    order = Order.objects.create(
        customer=customer,
        service_type=request.service_type,
        area=request.area,
        address=request.address.strip(),
        home_area_sqm=request.home_area_sqm,
        notes=request.notes.strip(),
        starts_at=booking.starts_at,
        ends_at=booking.ends_at,
        price=quote.price,
        currency=quote.currency,
        price_book=quote.price_book,
        hours=quote.hours,
        difficulty=quote.difficulty,
        price_lines=quote.lines_json(),
        status=S.REQUESTED,
        channel=channel,
        taken_by=taken_by,
        preferred_provider=preferred_provider,
    )
    _freeze_options(order, quote)
    if booking.care is not None:
        create_care_recipient(order=order, details=booking.care)
    _save_address(customer=customer, address=order.address, area=order.area)
    begin(order, actor=taken_by or customer, reason=BOOKED_REASONS[channel])
    order_requested.send(sender=Order, order=order)
    order_id = order.pk
    after_commit(tell_order_received, order_id)
    return order
