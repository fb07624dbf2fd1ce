"""Order intake and lifecycle. The only code that assigns Order.status."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.notifications import notify_user
from accounts.tasks import delay_or_log
from providers.models import Provider, ServiceArea, WorkingHours

from . import notifications, scheduling
from .care import CareDetails, care_details_of, create_care_recipient, validate_care
from .models import (
    BalanceEntry,
    Channel,
    ClaimStatus,
    GuaranteeClaim,
    Order,
    OrderEvent,
    OrderOption,
    SavedAddress,
    ServiceType,
)
from .models import OrderStatus as S
from .notifications import tell_order_received_task
from .pricing import Quote, quote_for
from .signals import order_completed, order_requested

ALLOWED_TRANSITIONS = {
    # -> confirmed from requested or no_provider: an operator assigns by hand (matching).
    S.REQUESTED: {S.OFFERED, S.NO_PROVIDER, S.CANCELLED, S.CONFIRMED},
    S.OFFERED: {S.CONFIRMED, S.REQUESTED, S.NO_PROVIDER, S.CANCELLED},
    S.NO_PROVIDER: {S.REQUESTED, S.CANCELLED, S.CONFIRMED},
    # -> requested: rescheduled to a time the assigned provider is not free (reschedule_order).
    S.CONFIRMED: {S.IN_PROGRESS, S.CANCELLED, S.REQUESTED},
    S.IN_PROGRESS: {S.COMPLETED},
    S.COMPLETED: set(),
    S.CANCELLED: set(),
}

MAX_HOME_AREA_SQM = 2000


class OrderError(ValidationError):
    """A business rule refused the change; the message is for the user."""


class DoubleBookingError(OrderError):
    pass


class ScheduleLimitError(OrderError):
    """The provider is on time off or would work more hours than allowed (R-ORD-5)."""


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


def validate_booking(request: BookingRequest) -> tuple[Quote, datetime, datetime]:
    """Check a booking request against the rules; return its quote and local start and end.

    Raises ValidationError with messages keyed by field so forms and the API can show them.
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
    return quote, starts_at, ends_at


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


BOOKED_REASONS = {
    Channel.WEB: gettext_noop("Booked on the web"),
    Channel.API: gettext_noop("Booked in the mobile app"),
    Channel.PHONE: gettext_noop("Booked by phone"),
    Channel.RECURRING: gettext_noop("Booked ahead for a recurring series"),
}


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


@transaction.atomic
def book_order(
    *,
    customer,
    request: BookingRequest,
    channel: str = Channel.WEB,
    taken_by=None,
    care: CareDetails | None = None,
) -> Order:
    """Save a customer's order as requested at the server's price; matching starts on commit.
    `taken_by` is the operator who took a phone order. The address is saved for next time.
    `care` describes the person cared for; required (and only kept) when the service asks about
    them (R-ORD-1), saved encrypted with the order or not at all."""
    quote, starts_at, ends_at = validate_booking(request)
    if request.service_type.asks_about_person_cared_for:
        care = validate_care(care)
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
        price_book=quote.price_book,
        hours=quote.hours,
        difficulty=quote.difficulty,
        price_lines=quote.lines_json(),
        status=S.REQUESTED,
        channel=channel,
        taken_by=taken_by,
    )
    _freeze_options(order, quote)
    if request.service_type.asks_about_person_cared_for:
        create_care_recipient(order=order, details=care)
    _save_address(customer=customer, address=order.address, area=order.area)
    _record(order, "", S.REQUESTED, taken_by or customer, BOOKED_REASONS[channel])
    order_requested.send(sender=Order, order=order)
    order_id = order.pk
    transaction.on_commit(lambda: delay_or_log(tell_order_received_task, order_id))
    return order


@transaction.atomic
def mark_offered(*, order: Order, reason: str, actor=None) -> Order:
    """`actor` is the operator whose batch assignment made the offer; None for matching."""
    return _transition(_locked(order), S.OFFERED, actor=actor, reason=reason)


@transaction.atomic
def mark_no_provider(*, order: Order, reason: str) -> Order:
    return _transition(_locked(order), S.NO_PROVIDER, actor=None, reason=reason)


@transaction.atomic
def reopen_for_matching(*, order: Order, actor, reason: str) -> Order:
    """Send an offered or unmatched order back to matching (declined, timed out, retried)."""
    order = _transition(_locked(order), S.REQUESTED, actor=actor, reason=reason)
    order_requested.send(sender=Order, order=order)
    return order


ACCEPTED_REASON = gettext_noop("Accepted by the provider")


@transaction.atomic
def confirm_order(
    *, order: Order, provider: Provider, actor, reason: str = ACCEPTED_REASON
) -> Order:
    """Assign the provider and block their time. Refuses a provider already booked then.
    `reason` goes to the timeline (an operator assigning by hand gives theirs)."""
    # Lock the provider first, then the order: every confirmation takes them in this order.
    Provider.objects.select_for_update().get(pk=provider.pk)
    order = _locked(order)
    busy_until = order.ends_at + timedelta(minutes=settings.TRAVEL_BUFFER_MINUTES)
    # Another job too close, time off, or over the hours (R-ORD-5): checked under the lock.
    problem = scheduling.schedule_problem(
        provider=provider,
        starts_at=order.starts_at,
        ends_at=order.ends_at,
        exclude_order_id=order.pk,
    )
    if problem is not None:
        error = DoubleBookingError if problem.code == "busy" else ScheduleLimitError
        raise error(problem.message, code=problem.code)
    try:
        with transaction.atomic():
            order = _transition(
                order,
                S.CONFIRMED,
                actor=actor,
                reason=reason,
                provider=provider,
                blocked_until=busy_until,
            )
    except IntegrityError as exc:  # the exclusion constraint lost a race for us
        raise DoubleBookingError(_("This provider is already booked at that time.")) from exc
    from .contracts import generate_contract  # contracts builds on this module

    generate_contract(order=order)  # R-ORD-4: both parties sign it before the job starts
    return order


def _locked_for_provider(order: Order, provider: Provider) -> Order:
    order = _locked(order)
    if order.provider_id != provider.pk:
        raise OrderError(_("This job is not assigned to you."))
    return order


@transaction.atomic
def start_job(*, order: Order, provider: Provider) -> Order:
    from .contracts import order_is_fully_signed  # contracts builds on this module
    from .execution import has_checked_in  # execution builds on this module

    order = _locked_for_provider(order, provider)
    if order.status == S.CONFIRMED and not order_is_fully_signed(order):
        raise OrderError(
            _("The job can start only after the customer and you have both signed the contract.")
        )
    if order.status == S.CONFIRMED and not has_checked_in(order):  # R-ORD-6
        raise OrderError(_("Check in with the customer on arrival before starting the job."))
    return _transition(
        order, S.IN_PROGRESS, actor=provider.user, reason=gettext_noop("Started on site")
    )


@transaction.atomic
def complete_job(
    *, order: Order, provider: Provider, summary: str = "", options_done=None
) -> Order:
    """Finish a running job with the provider's report (R-ORD-6): `summary` says what was done,
    `options_done` maps each booked option's code to whether it was done."""
    from .execution import save_report, validate_report  # execution builds on this module

    order = _locked_for_provider(order, provider)
    draft = None
    if order.status == S.IN_PROGRESS:  # otherwise _transition refuses, naming the status
        draft = validate_report(order=order, summary=summary, options_done=options_done)
    order = _transition(
        order,
        S.COMPLETED,
        actor=provider.user,
        reason=gettext_noop("Completed by the provider"),
        completed_at=timezone.now(),
    )
    save_report(order=order, provider=provider, draft=draft)
    order_completed.send(sender=Order, order=order)
    order_id = order.pk
    transaction.on_commit(lambda: notifications.tell_completed(order_id))
    return order


ON_THE_WAY_REASON = gettext_noop("The provider is on the way")


@transaction.atomic
def announce_departure(*, order: Order, provider: Provider) -> Order:
    """The assigned provider sets off to a confirmed job; the customer is told once."""
    order = _locked_for_provider(order, provider)
    if order.status != S.CONFIRMED:
        raise OrderError(
            _("This job is %(current)s; you can say you are on the way only to a confirmed job.")
            % {"current": order.get_status_display().lower()}
        )
    if order.events.filter(reason=ON_THE_WAY_REASON).exists():
        return order  # already announced: the customer is not told twice
    _record(order, S.CONFIRMED, S.CONFIRMED, provider.user, ON_THE_WAY_REASON)
    order_id = order.pk
    transaction.on_commit(lambda: notifications.tell_on_the_way(order_id))
    return order


@transaction.atomic
def cancel_order(*, order: Order, actor, reason: str, waive_fee: bool = False) -> Order:
    """Cancel under the policy (R-ORD-3): free until FREE_CANCELLATION_HOURS before the start,
    later a fee charged to the customer's balance, which an operator may waive.

    A confirmed job's time stops blocking its provider (cancelled is not a blocking status;
    blocked_until stays as history) and the provider is told once this commits.
    """
    if not reason.strip():
        raise OrderError(_("Say why the order is cancelled."))
    if waive_fee and not (actor is not None and actor.is_staff):
        raise OrderError(_("Only an operator may waive the cancellation fee."))
    order = _locked(order)
    was_confirmed = order.status == S.CONFIRMED
    terms = cancellation_terms(order)
    fee = Decimal("0") if waive_fee else terms.fee
    order = _transition(
        order, S.CANCELLED, actor=actor, reason=reason.strip(), cancellation_fee=fee
    )
    if fee:
        BalanceEntry.objects.create(
            customer=order.customer,
            amount=-fee,
            currency=order.currency,
            reason=gettext_noop("Late cancellation fee"),
            order=order,
            created_by=actor,
        )
    elif terms.fee:
        _record(order, S.CANCELLED, S.CANCELLED, actor, gettext_noop("Cancellation fee waived"))
    if was_confirmed:
        order_id = order.pk
        transaction.on_commit(lambda: _tell_provider(order_id, "job_cancelled"))
    return order


# --- Cancellation policy, rescheduling and the guarantee (R-ORD-3, R-ORD-7, R-SUP-7) ---------


@dataclass(frozen=True)
class CancellationTerms:
    """What cancelling (or moving) an order costs now."""

    free_until: datetime
    fee: Decimal
    currency: str

    @property
    def is_free(self) -> bool:
        return not self.fee


def _is_free_window(order: Order, now: datetime) -> bool:
    return now <= order.starts_at - timedelta(hours=settings.FREE_CANCELLATION_HOURS)


def cancellation_terms(order: Order) -> CancellationTerms:
    """Free until FREE_CANCELLATION_HOURS before the start (inclusive). Later, and before the
    start, cancelling a confirmed job (a provider's time is held) costs
    LATE_CANCELLATION_FEE_PERCENT % of the price, rounded to whole currency units. An order
    nobody has taken yet, or a job the provider has not started by its start time, is free."""
    now = timezone.now()
    free_until = order.starts_at - timedelta(hours=settings.FREE_CANCELLATION_HOURS)
    fee = Decimal("0")
    if order.status == S.CONFIRMED and not _is_free_window(order, now) and now < order.starts_at:
        fee = (order.price * settings.LATE_CANCELLATION_FEE_PERCENT / Decimal(100)).quantize(
            Decimal("1"), rounding=ROUND_HALF_UP
        )
    return CancellationTerms(free_until=free_until, fee=fee, currency=order.currency)


def _tell_provider(order_id: int, template: str, **context) -> None:
    order = Order.objects.select_related("provider__user", "service_type").get(pk=order_id)
    notify_user(
        user=order.provider.user,
        template=f"orders/notifications/{template}",
        context={"order": order, **context},
    )


RESCHEDULABLE_STATUSES = (S.REQUESTED, S.OFFERED, S.NO_PROVIDER, S.CONFIRMED)


def _provider_free_for(order: Order, provider: Provider, starts_at, ends_at) -> bool:
    """The provider works then and the schedule rules allow the job (orders.scheduling: other
    jobs with the gap between them, time off, daily and weekly hours; this order not counted)."""
    local_start, local_end = timezone.localtime(starts_at), timezone.localtime(ends_at)
    works = WorkingHours.objects.filter(
        provider=provider,
        weekday=local_start.weekday(),
        starts__lte=local_start.time(),
        ends__gte=local_end.time(),
    ).exists()
    return works and (
        scheduling.schedule_problem(
            provider=provider, starts_at=starts_at, ends_at=ends_at, exclude_order_id=order.pk
        )
        is None
    )


@transaction.atomic
def reschedule_order(*, order: Order, actor, day: date, start: time, reason: str) -> Order:
    """Move an order not yet started to another time at the same price.

    Customers may do it only within the free-cancellation window; operators at any time. A
    confirmed job keeps its provider if they are free then; otherwise it goes back to matching.
    """
    if not reason.strip():
        raise OrderError(_("Say why the time changes."))
    locked_provider_id = order.provider_id
    if locked_provider_id:  # providers are locked before orders (as in confirm_order)
        Provider.objects.select_for_update().get(pk=locked_provider_id)
    order = _locked(order)
    if order.provider_id != locked_provider_id:
        raise OrderError(_("The order changed meanwhile; please try again."))
    is_staff = actor is not None and actor.is_staff
    if not is_staff and (actor is None or order.customer_id != actor.pk):
        raise OrderError(_("This is not your order."))
    if order.status not in RESCHEDULABLE_STATUSES:
        raise OrderError(
            _("This order is %(current)s; its time can no longer be changed.")
            % {"current": order.get_status_display().lower()}
        )
    if not is_staff and not _is_free_window(order, timezone.now()):
        raise OrderError(
            _(
                "The time can be changed only until %(hours)s hours before the start. "
                "Please call us, or cancel the order."
            )
            % {"hours": settings.FREE_CANCELLATION_HOURS}
        )
    # The booked length and price stay as they were: only the new time is checked.
    starts_at, _ends = validate_time(day=day, start=start, duration=order.duration)
    if starts_at == order.starts_at:
        raise OrderError(_("The order is already booked for that time."))
    ends_at = starts_at + order.duration  # the booked length and price stay as they were
    old_start = order.starts_at
    _record(
        order,
        order.status,
        order.status,
        actor,
        f"Rescheduled from {timezone.localtime(old_start):%Y-%m-%d %H:%M} "
        f"to {timezone.localtime(starts_at):%Y-%m-%d %H:%M}: {reason.strip()}",
    )
    moved = {"starts_at": starts_at, "ends_at": ends_at}
    if order.status == S.CONFIRMED:
        provider = order.provider
        busy_until = ends_at + timedelta(minutes=settings.TRAVEL_BUFFER_MINUTES)
        if _provider_free_for(order, provider, starts_at, ends_at):
            for name, value in {**moved, "blocked_until": busy_until}.items():
                setattr(order, name, value)
            order.save(update_fields=["starts_at", "ends_at", "blocked_until"])
            order_id = order.pk
            transaction.on_commit(
                lambda: _tell_provider(order_id, "job_rescheduled", old_start=old_start)
            )
            return order
        order = _transition(
            order,
            S.REQUESTED,
            actor=actor,
            reason=gettext_noop("The provider is not free at the new time; finding another"),
            provider=None,
            blocked_until=None,
            **moved,
        )
        order_id, provider_id = order.pk, provider.pk
        transaction.on_commit(lambda: _tell_released_provider(order_id, provider_id, old_start))
    elif order.status in (S.OFFERED, S.NO_PROVIDER):
        order = _transition(
            order,
            S.REQUESTED,
            actor=actor,
            reason=gettext_noop("New time: finding a provider again"),
            **moved,
        )
    else:  # requested: matching reads the order afresh when it runs
        for name, value in moved.items():
            setattr(order, name, value)
        order.save(update_fields=list(moved))
        return order
    order_requested.send(sender=Order, order=order)
    return order


def _tell_released_provider(order_id: int, provider_id: int, old_start) -> None:
    provider = Provider.objects.select_related("user").get(pk=provider_id)
    notify_user(
        user=provider.user,
        template="orders/notifications/job_released",
        context={"order": Order.objects.get(pk=order_id), "old_start": old_start},
    )


class ClaimError(OrderError):
    """A guarantee claim or its decision was refused; the message is for the user."""


def claim_window_ends(order: Order) -> datetime | None:
    if order.completed_at is None:
        return None
    return order.completed_at + timedelta(days=settings.GUARANTEE_CLAIM_DAYS)


def can_claim_guarantee(order: Order) -> bool:
    ends = claim_window_ends(order)
    return (
        order.status == S.COMPLETED
        and ends is not None
        and timezone.now() <= ends
        and not GuaranteeClaim.objects.filter(order=order).exists()
    )


@transaction.atomic
def claim_guarantee(*, order: Order, customer, description: str) -> GuaranteeClaim:
    """The customer says a completed job was not satisfactory (R-ORD-7), once per order,
    within GUARANTEE_CLAIM_DAYS days of its completion."""
    order = _locked(order)
    if order.customer_id != customer.pk:
        raise ClaimError(_("Only the customer of this order can claim the guarantee."))
    if order.status != S.COMPLETED:
        raise ClaimError(_("The guarantee can be claimed only for a completed job."))
    if timezone.now() > claim_window_ends(order):
        raise ClaimError(
            _("The guarantee can be claimed within %(days)s days of the job.")
            % {"days": settings.GUARANTEE_CLAIM_DAYS}
        )
    if GuaranteeClaim.objects.filter(order=order).exists():
        raise ClaimError(_("You have already claimed the guarantee for this order."))
    if not description.strip():
        raise ClaimError(_("Tell us what was wrong."))
    claim = GuaranteeClaim.objects.create(
        order=order, customer=customer, description=description.strip()
    )
    _record(order, S.COMPLETED, S.COMPLETED, customer, gettext_noop("Guarantee claimed"))
    return claim


class ClaimDecision:
    REDO = "redo"
    COMPENSATE = "compensate"
    REJECT = "reject"


@transaction.atomic
def decide_claim(
    *,
    claim: GuaranteeClaim,
    actor,
    decision: str,
    note: str = "",
    amount: Decimal | None = None,
    day: date | None = None,
    start: time | None = None,
) -> GuaranteeClaim:
    """An operator decides an open claim: redo the job at no charge (preferably by another
    provider), credit the customer's balance (R-SUP-7), or reject it with a note. The customer
    is told what was done (R-QC-7)."""
    if actor is None or not actor.is_staff:
        raise ClaimError(_("Only an operator may decide a guarantee claim."))
    claim = GuaranteeClaim.objects.select_for_update().select_related("order").get(pk=claim.pk)
    if claim.status != ClaimStatus.OPEN:
        raise ClaimError(_("This claim has already been decided."))
    order = claim.order
    note = note.strip()
    fields = {"decided_by": actor, "decided_at": timezone.now(), "decision_note": note}
    if decision == ClaimDecision.REDO:
        if day is None or start is None:
            raise ClaimError(_("Choose the day and time of the new visit."))
        starts_at, _ends = validate_time(day=day, start=start, duration=order.duration)
        redo = Order.objects.create(
            customer=order.customer,
            service_type=order.service_type,
            area=order.area,
            address=order.address,
            home_area_sqm=order.home_area_sqm,
            hours=order.hours,
            difficulty=order.difficulty,
            notes=order.notes,
            starts_at=starts_at,
            ends_at=starts_at + order.duration,
            price=Decimal("0"),
            currency=order.currency,
            status=S.REQUESTED,
            channel=Channel.PHONE,
            taken_by=actor,
            avoid_provider=order.provider,
        )
        care = care_details_of(order)
        if care is not None:  # the same person is cared for on the redo (R-ORD-1)
            create_care_recipient(order=redo, details=care)
        _record(
            redo,
            "",
            S.REQUESTED,
            actor,
            gettext_noop("Guarantee redo at no charge; another provider is preferred"),
        )
        fields.update(status=ClaimStatus.REDO, redo_order=redo)
        order_requested.send(sender=Order, order=redo)
    elif decision == ClaimDecision.COMPENSATE:
        if amount is None or amount <= 0:
            raise ClaimError(_("Enter a compensation amount above zero."))
        if amount > order.price:
            raise ClaimError(_("The compensation cannot exceed the price of the order."))
        BalanceEntry.objects.create(
            customer=order.customer,
            amount=amount,
            currency=order.currency,
            reason=gettext_noop("Guarantee compensation"),
            order=order,
            created_by=actor,
        )
        fields.update(status=ClaimStatus.COMPENSATED, amount=amount)
    elif decision == ClaimDecision.REJECT:
        if not note:
            raise ClaimError(_("Say why the claim is not accepted."))
        fields.update(status=ClaimStatus.REJECTED)
    else:
        raise ClaimError(_("Unknown decision."))
    for name, value in fields.items():
        setattr(claim, name, value)
    claim.save(update_fields=list(fields))
    _record(
        order,
        S.COMPLETED,
        S.COMPLETED,
        actor,
        {
            ClaimStatus.REDO: gettext_noop("Guarantee: the work will be redone at no charge"),
            ClaimStatus.COMPENSATED: gettext_noop("Guarantee: compensation credited"),
            ClaimStatus.REJECTED: gettext_noop("Guarantee claim not accepted"),
        }[claim.status],
    )
    claim_id = claim.pk
    transaction.on_commit(lambda: _tell_claim_decision(claim_id))
    return claim


def _tell_claim_decision(claim_id: int) -> None:
    claim = GuaranteeClaim.objects.select_related("order", "customer", "redo_order").get(
        pk=claim_id
    )
    notify_user(
        user=claim.customer,
        template="orders/notifications/claim_decided",
        context={"claim": claim, "order": claim.order},
    )


def customer_balance(*, customer) -> Decimal:
    """Credits minus charges on the customer's balance (BalanceEntry is append-only)."""
    total = BalanceEntry.objects.filter(customer=customer).aggregate(total=Sum("amount"))["total"]
    return total or Decimal("0")
