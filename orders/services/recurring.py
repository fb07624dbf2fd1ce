"""Recurring cleaning (issue 4, R-ORD-1/3/4/5): start, pause, resume and end a series, and book
its occurrences ahead. The only code that assigns RecurringSeries.status.

    active -> paused -> active      (customer or operator, with a reason)
    active | paused -> ended        (customer or operator, with a reason; final)

`create_upcoming_occurrences` (hourly, from the beat task) books every date of each active series
in the next RECURRING_HORIZON_DAYS through `services.book_order`, at the price in force then,
with the series' provider preferred. Each date gets one `SeriesOccurrence` row: the database's
unique (series, date) constraint and a lock on the series row make a second run, or two workers
at once, book nothing twice. A date that cannot be booked (nobody works then, a booking rule
refuses it) is recorded with the reason and the customer is told once.

A standing agreement (`SeriesAgreement`), signed when the series starts, covers its
occurrences: when a provider accepts one, its contract is generated as usual and the customer's
signature is recorded on it under the agreement (`sign_under_standing_agreement`, called by
`contracts.generate_contract`). The provider still signs each contract.

    agreement text = render("orders/recurring/agreement.txt") in the customer's language
                     (line endings "\\n", no trailing spaces, one final newline)
    text_sha256    = sha256(text.encode("utf-8")).hexdigest()
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from core.lifecycle import Lifecycle
from core.outbox import after_commit
from core.signing import normalised_text, text_sha256, typed_name_refusal

from .. import notifications
from ..models import (
    Channel,
    Order,
    RecurringSeries,
    SeriesAgreement,
    SeriesEvent,
    SeriesInterval,
    SeriesOccurrence,
    SeriesStatus,
)
from ..models import OrderStatus as S
from ..models.recurring import INTERVAL_DAYS
from .booking import BookingRequest, NobodyFree, book_order, check_booking
from .common import OrderError

ALLOWED_TRANSITIONS = {
    SeriesStatus.ACTIVE: {SeriesStatus.PAUSED, SeriesStatus.ENDED},
    SeriesStatus.PAUSED: {SeriesStatus.ACTIVE, SeriesStatus.ENDED},
    SeriesStatus.ENDED: set(),
}
REFUSAL = gettext_lazy("This recurring cleaning is %(current)s and cannot become %(target)s.")

# An order can be repeated once a provider has taken it (so there is a provider to prefer).
REPEATABLE_STATUSES = (S.CONFIRMED, S.IN_PROGRESS, S.COMPLETED)

STARTED_REASON = gettext_noop("Started from the order it repeats")
AGREEMENT_TEMPLATE = "orders/recurring/agreement.txt"


class SeriesError(OrderError):
    """A series cannot be started or changed; the message is for the user."""


SERIES_LIFECYCLE = Lifecycle(
    allowed=ALLOWED_TRANSITIONS, event_model=SeriesEvent, error=SeriesError, refusal=REFUSAL
)


# --- Reading a series --------------------------------------------------------------------------


def series_for_customer(*, customer):
    return RecurringSeries.objects.filter(customer=customer).select_related(
        "service_type", "area", "preferred_provider__user", "agreement"
    )


def first_repeat_on(order: Order, interval: str) -> date:
    return timezone.localdate(order.starts_at) + timedelta(days=INTERVAL_DAYS[interval])


def repeat_refusal(order: Order) -> str | None:
    """Why this order cannot be repeated, or None when it can."""
    if order.status not in REPEATABLE_STATUSES:
        return _("An order can be repeated once a provider has accepted it.")
    if order.service_type.asks_about_person_cared_for:
        return _("Only cleaning can be repeated automatically; please book care visits.")
    if not order.service_type.is_active:
        return _("This service is not offered at the moment.")
    if RecurringSeries.objects.filter(first_order=order).exclude(status=SeriesStatus.ENDED):
        return _("This cleaning already repeats.")
    return None


def can_repeat(order: Order) -> bool:
    return repeat_refusal(order) is None


# --- The standing agreement -------------------------------------------------------------------


def customer_language(user) -> str:
    code = user.preferred_language or settings.LANGUAGE_CODE
    return code if code in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def render_agreement(*, order: Order, interval: str, language: str) -> str:
    """The exact text of the standing agreement for repeating `order` at `interval`."""
    with translation.override(language), timezone.override(settings.TIME_ZONE):
        starts_on = first_repeat_on(order, interval)
        provider = order.provider
        text = render_to_string(
            AGREEMENT_TEMPLATE,
            {
                "customer_name": order.customer.full_name,
                "service_name": _(order.service_type.name),
                "area_name": _(order.area.name),
                "address": order.address,
                "home_area_sqm": order.home_area_sqm,
                "hours": order.hours,
                "options": ", ".join(_(chosen.name) for chosen in order.options.all()),
                "interval": SeriesInterval(interval).label,
                "starts_on": starts_on,
                "start_time": timezone.localtime(order.starts_at).time(),
                "time_zone": settings.TIME_ZONE,
                "provider_name": provider.user.full_name if provider else "",
                "first_order": order.pk,
                "free_cancellation_hours": settings.FREE_CANCELLATION_HOURS,
                "late_cancellation_fee_percent": settings.LATE_CANCELLATION_FEE_PERCENT,
                "horizon_days": settings.RECURRING_HORIZON_DAYS,
            },
        )
    return normalised_text(text)


@dataclass(frozen=True)
class AgreementSignature:
    """What the customer sent to sign the standing agreement."""

    typed_name: str
    shown_sha256: str
    ip_address: str | None = None
    user_agent: str = ""


def _sign_agreement(
    *, series: RecurringSeries, order: Order, customer, signature: AgreementSignature
) -> SeriesAgreement:
    language = customer_language(customer)
    text = render_agreement(order=order, interval=series.interval, language=language)
    digest = text_sha256(text)
    if signature.shown_sha256 != digest:
        raise SeriesError(
            _("The agreement changed while you were reading it. Please read it again and sign.")
        )
    refusal = typed_name_refusal(signature.typed_name, customer.full_name)
    if refusal:
        raise SeriesError(refusal)
    return SeriesAgreement.objects.create(
        series=series,
        language=language,
        text=text,
        text_sha256=digest,
        signer=customer,
        **SeriesAgreement.evidence(
            typed_name=signature.typed_name,
            ip_address=signature.ip_address,
            user_agent=signature.user_agent,
        ),
    )


# --- Lifecycle --------------------------------------------------------------------------------


def _check_actor(series: RecurringSeries, actor) -> None:
    if actor is None or not (actor.is_staff or actor.pk == series.customer_id):
        raise SeriesError(_("This is not your recurring cleaning."))


@transaction.atomic
def start_series(
    *,
    order: Order,
    actor,
    interval: str,
    agreement: AgreementSignature | None = None,
    now: datetime | None = None,
) -> RecurringSeries:
    """Repeat a confirmed or completed order every week or two from the same weekday and time,
    with its provider preferred. The customer may sign a standing agreement covering the
    occurrences' contracts. The dates in the horizon are booked at once."""
    order = (
        Order.objects.select_for_update(of=("self",))
        .select_related("customer", "provider__user", "service_type", "area")
        .get(pk=order.pk)
    )
    is_staff = actor is not None and actor.is_staff
    if not is_staff and (actor is None or actor.pk != order.customer_id):
        raise SeriesError(_("This is not your order."))
    if interval not in SeriesInterval.values:
        raise SeriesError({"interval": _("Choose every week or every two weeks.")})
    refusal = repeat_refusal(order)
    if refusal:
        raise SeriesError(refusal)
    if agreement is not None and actor.pk != order.customer_id:
        raise SeriesError(_("Only the customer can sign the standing agreement."))
    local_start = timezone.localtime(order.starts_at)
    starts_on = first_repeat_on(order, interval)
    try:
        with transaction.atomic():
            series = RecurringSeries.objects.create(
                **order.job_details(),
                first_order=order,
                weekday=starts_on.weekday(),
                start_time=local_start.time(),
                interval=interval,
                starts_on=starts_on,
                preferred_provider=order.provider,
            )
    except IntegrityError as error:  # another request started it first
        raise SeriesError(_("This cleaning already repeats.")) from error
    series.options.set([chosen.option_id for chosen in order.options.all()])
    SERIES_LIFECYCLE.begin(series, actor=actor, reason=STARTED_REASON)
    if agreement is not None:
        _sign_agreement(series=series, order=order, customer=order.customer, signature=agreement)
    _book_due_dates(series, now or timezone.now())
    return series


def _transition(series: RecurringSeries, to: str, *, actor, reason: str) -> RecurringSeries:
    _check_actor(series, actor)
    if not reason.strip():
        raise SeriesError(_("Say why."))
    return SERIES_LIFECYCLE.transition(series, to, actor=actor, reason=reason.strip())


@transaction.atomic
def pause_series(*, series: RecurringSeries, actor, reason: str) -> RecurringSeries:
    """No new dates are booked while paused; orders already booked stay booked."""
    return _transition(series, SeriesStatus.PAUSED, actor=actor, reason=reason)


@transaction.atomic
def resume_series(
    *, series: RecurringSeries, actor, reason: str, now: datetime | None = None
) -> RecurringSeries:
    """Book again from now on; dates that passed while paused are not booked."""
    series = _transition(series, SeriesStatus.ACTIVE, actor=actor, reason=reason)
    _book_due_dates(series, now or timezone.now())
    return series


@transaction.atomic
def end_series(*, series: RecurringSeries, actor, reason: str) -> RecurringSeries:
    """Stop for good; orders already booked stay booked (each can be cancelled on its page)."""
    return _transition(series, SeriesStatus.ENDED, actor=actor, reason=reason)


# --- Booking ahead ----------------------------------------------------------------------------


@dataclass
class BookingRun:
    booked: int = 0
    skipped: int = 0


def _due_dates(series: RecurringSeries, now: datetime) -> list[tuple[date, datetime]]:
    """The series' dates in the horizon not yet recorded whose start is still bookable (not in
    the past nor inside the booking lead time), with their local start."""
    today = timezone.localdate(now)
    horizon = today + timedelta(days=settings.RECURRING_HORIZON_DAYS)
    done = set(series.occurrences.values_list("occurs_on", flat=True))
    earliest = now + timedelta(minutes=settings.BOOKING_MIN_LEAD_MINUTES)
    due = []
    for day in series.dates_between(today, horizon):
        starts_at = timezone.make_aware(datetime.combine(day, series.start_time))
        if day not in done and starts_at >= earliest:
            due.append((day, starts_at))
    return due


def _booking_request(series: RecurringSeries, day: date) -> BookingRequest:
    return BookingRequest(
        service_type=series.service_type,
        area=series.area,
        address=series.address,
        day=day,
        start=series.start_time,
        home_area_sqm=series.home_area_sqm,
        notes=series.notes,
        hours=series.hours,
        options=tuple(series.options.all()),
        difficulty=series.difficulty,
    )


def _message(error: ValidationError) -> str:
    return " ".join(error.messages)


def _book_date(series: RecurringSeries, day: date, run: BookingRun) -> None:
    """Book one date of a locked series, or record why it cannot be booked. In the caller's
    transaction; a refused date leaves no order behind."""
    problem = ""
    try:
        with transaction.atomic():
            order = book_order(
                customer=series.customer,
                booking=check_booking(_booking_request(series, day)),
                channel=Channel.RECURRING,
                preferred_provider=series.preferred_provider,
            )
            SeriesOccurrence.objects.create(series=series, occurs_on=day, order=order)
    except IntegrityError:  # recorded meanwhile by another run: nothing of ours is kept
        return
    except NobodyFree:
        problem = _("No provider is free at that time.")
    except ValidationError as error:
        problem = _message(error)
    else:
        run.booked += 1
        return
    try:
        with transaction.atomic():
            occurrence = SeriesOccurrence.objects.create(
                series=series, occurs_on=day, problem=problem, customer_told_at=timezone.now()
            )
    except IntegrityError:
        return
    run.skipped += 1
    occurrence_id = occurrence.pk
    after_commit(notifications.tell_series_date_skipped, occurrence_id)


def _book_due_dates(series: RecurringSeries, now: datetime) -> BookingRun:
    run = BookingRun()
    if series.status != SeriesStatus.ACTIVE:
        return run
    # Messages and the order's texts are in the customer's language, as elsewhere.
    with translation.override(customer_language(series.customer)):
        for day, _starts_at in _due_dates(series, now):
            _book_date(series, day, run)
    return run


def book_series_occurrences(*, series_id: int, now: datetime | None = None) -> BookingRun:
    """Book the due dates of one series, holding its row lock so that concurrent runs wait and
    then find the dates already recorded."""
    now = now or timezone.now()
    with transaction.atomic():
        series = (
            RecurringSeries.objects.select_for_update(of=("self",))
            .select_related("customer", "service_type", "area")
            .get(pk=series_id)
        )
        return _book_due_dates(series, now)


def create_upcoming_occurrences(*, now: datetime | None = None) -> BookingRun:
    """Every active series: book its dates in the next RECURRING_HORIZON_DAYS. Safe to run
    twice or in two workers at once. One transaction per series."""
    now = now or timezone.now()
    total = BookingRun()
    series_ids = RecurringSeries.objects.filter(status=SeriesStatus.ACTIVE).values_list(
        "pk", flat=True
    )
    for series_id in list(series_ids):
        run = book_series_occurrences(series_id=series_id, now=now)
        total.booked += run.booked
        total.skipped += run.skipped
    return total
