"""Order intake and lifecycle. The only code that assigns Order.status."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from providers.models import Provider, ServiceArea

from .models import Order, OrderEvent, ServiceType
from .models import OrderStatus as S
from .pricing import Quote, quote_for
from .signals import order_completed, order_requested

ALLOWED_TRANSITIONS = {
    S.REQUESTED: {S.OFFERED, S.NO_PROVIDER, S.CANCELLED},
    S.OFFERED: {S.CONFIRMED, S.REQUESTED, S.NO_PROVIDER, S.CANCELLED},
    S.NO_PROVIDER: {S.REQUESTED, S.CANCELLED},
    S.CONFIRMED: {S.IN_PROGRESS, S.CANCELLED},
    S.IN_PROGRESS: {S.COMPLETED},
    S.COMPLETED: set(),
    S.CANCELLED: set(),
}

MAX_HOME_AREA_SQM = 2000


class OrderError(ValidationError):
    """A business rule refused the change; the message is for the user."""


class DoubleBookingError(OrderError):
    pass


@dataclass(frozen=True)
class BookingRequest:
    service_type: ServiceType
    area: ServiceArea
    address: str
    day: date
    start: time
    home_area_sqm: int
    notes: str = ""


def validate_booking(request: BookingRequest) -> tuple[Quote, datetime, datetime]:
    """Check a booking request against the rules; return its quote and local start and end.

    Raises ValidationError with messages keyed by field so forms and the API can show them.
    """
    errors = {}
    if not request.service_type.is_active:
        errors["service_type"] = _("This service is not offered at the moment.")
    if not request.area.is_active:
        errors["area"] = _("We do not serve this area yet.")
    if not 0 < request.home_area_sqm <= MAX_HOME_AREA_SQM:
        errors["home_area_sqm"] = _("Enter the home area in square metres, from 1 to %(max)s.") % {
            "max": MAX_HOME_AREA_SQM
        }
    if not request.address.strip():
        errors["address"] = _("Enter the address.")
    if errors:
        raise ValidationError(errors)

    quote = quote_for(service_type=request.service_type, home_area_sqm=request.home_area_sqm)
    starts_at = timezone.make_aware(datetime.combine(request.day, request.start))
    ends_at = starts_at + quote.duration
    now = timezone.now()
    if starts_at < now + timedelta(minutes=settings.BOOKING_MIN_LEAD_MINUTES):
        errors["day"] = _("Choose a time at least %(minutes)s minutes from now.") % {
            "minutes": settings.BOOKING_MIN_LEAD_MINUTES
        }
    elif starts_at > now + timedelta(days=settings.BOOKING_MAX_DAYS_AHEAD):
        errors["day"] = _("Bookings open %(days)s days ahead.") % {
            "days": settings.BOOKING_MAX_DAYS_AHEAD
        }
    if timezone.localtime(ends_at).date() != request.day:
        errors["start"] = _("The job must end the same day; choose an earlier start.")
    if errors:
        raise ValidationError(errors)
    return quote, starts_at, ends_at


def _record(order: Order, from_status: str, to_status: str, actor, reason: str) -> None:
    OrderEvent.objects.create(
        order=order, from_status=from_status, to_status=to_status, actor=actor, reason=reason
    )


def _transition(order: Order, to: str, *, actor, reason: str, **fields) -> Order:
    """Move a locked order to `to`, recording the change. Call inside a transaction."""
    if to not in ALLOWED_TRANSITIONS[order.status]:
        raise OrderError(
            _("This order is %(current)s and cannot become %(target)s.")
            % {"current": order.get_status_display().lower(), "target": S(to).label.lower()}
        )
    from_status = order.status
    order.status = to
    order.status_changed_at = timezone.now()
    for name, value in fields.items():
        setattr(order, name, value)
    order.save(update_fields=["status", "status_changed_at", *fields])
    _record(order, from_status, to, actor, reason)
    return order


def _locked(order: Order) -> Order:
    return Order.objects.select_for_update().get(pk=order.pk)


@transaction.atomic
def book_order(*, customer, request: BookingRequest) -> Order:
    """Save a customer's order as requested at the server's price; matching starts on commit."""
    quote, starts_at, ends_at = validate_booking(request)
    order = Order.objects.create(
        customer=customer,
        service_type=request.service_type,
        area=request.area,
        address=request.address.strip(),
        home_area_sqm=request.home_area_sqm,
        notes=request.notes.strip(),
        starts_at=starts_at,
        ends_at=ends_at,
        price=quote.price,
        currency=quote.currency,
        status=S.REQUESTED,
    )
    _record(order, "", S.REQUESTED, customer, gettext_noop("Booked on the web"))
    order_requested.send(sender=Order, order=order)
    return order


@transaction.atomic
def mark_offered(*, order: Order, reason: str) -> Order:
    return _transition(_locked(order), S.OFFERED, actor=None, reason=reason)


@transaction.atomic
def mark_no_provider(*, order: Order, reason: str) -> Order:
    return _transition(_locked(order), S.NO_PROVIDER, actor=None, reason=reason)


@transaction.atomic
def reopen_for_matching(*, order: Order, actor, reason: str) -> Order:
    """Send an offered or unmatched order back to matching (declined, timed out, retried)."""
    order = _transition(_locked(order), S.REQUESTED, actor=actor, reason=reason)
    order_requested.send(sender=Order, order=order)
    return order


@transaction.atomic
def confirm_order(*, order: Order, provider: Provider, actor) -> Order:
    """Assign the provider and block their time. Refuses a provider already booked then."""
    # Lock the provider first, then the order: every confirmation takes them in this order.
    Provider.objects.select_for_update().get(pk=provider.pk)
    order = _locked(order)
    busy_until = order.ends_at + timedelta(minutes=settings.TRAVEL_BUFFER_MINUTES)
    clash = (
        Order.objects.blocking()
        .filter(provider=provider)
        .overlapping(order.starts_at, busy_until)
        .exclude(pk=order.pk)
    )
    if clash.exists():
        raise DoubleBookingError(_("This provider is already booked at that time."))
    try:
        with transaction.atomic():
            return _transition(
                order,
                S.CONFIRMED,
                actor=actor,
                reason=gettext_noop("Accepted by the provider"),
                provider=provider,
                blocked_until=busy_until,
            )
    except IntegrityError as exc:  # the exclusion constraint lost a race for us
        raise DoubleBookingError(_("This provider is already booked at that time.")) from exc


def _locked_for_provider(order: Order, provider: Provider) -> Order:
    order = _locked(order)
    if order.provider_id != provider.pk:
        raise OrderError(_("This job is not assigned to you."))
    return order


@transaction.atomic
def start_job(*, order: Order, provider: Provider) -> Order:
    order = _locked_for_provider(order, provider)
    return _transition(
        order, S.IN_PROGRESS, actor=provider.user, reason=gettext_noop("Started on site")
    )


@transaction.atomic
def complete_job(*, order: Order, provider: Provider) -> Order:
    order = _locked_for_provider(order, provider)
    order = _transition(
        order,
        S.COMPLETED,
        actor=provider.user,
        reason=gettext_noop("Completed by the provider"),
        completed_at=timezone.now(),
    )
    order_completed.send(sender=Order, order=order)
    return order


@transaction.atomic
def cancel_order(*, order: Order, actor, reason: str) -> Order:
    if not reason.strip():
        raise OrderError(_("Say why the order is cancelled."))
    return _transition(_locked(order), S.CANCELLED, actor=actor, reason=reason.strip())
