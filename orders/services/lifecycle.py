"""An order from matching to the end (R-ORD-3, R-ORD-5, R-ORD-6): offered, confirmed with a
provider (who gets the contract to sign), started on site, completed with a report, cancelled
under the policy, or moved to another time. The only code, with `booking`, that changes an
order's status; the table of allowed changes is `common.ALLOWED_TRANSITIONS`."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.notifications import notify_user
from core.outbox import after_commit
from ledger.models import Cause
from ledger.services.wallet import charge_fee
from providers.models import Provider, WorkingHours

from .. import notifications, scheduling
from ..models import Channel, Order
from ..models import OrderStatus as S
from ..pricing import lines_for_tier
from ..signals import order_cancelled, order_completed, order_requested
from .booking import validate_time
from .common import (
    DoubleBookingError,
    OrderError,
    ScheduleLimitError,
    add_note,
    locked,
    locked_for_provider,
    tell_provider,
    transition,
)
from .contracts import (
    current_contract,
    generate_contract,
    order_is_fully_signed,
    void_contract,
)
from .execution import has_checked_in, save_report, validate_report


@transaction.atomic
def mark_offered(*, order: Order, reason: str, actor=None) -> Order:
    """`actor` is the operator whose batch assignment made the offer; None for matching."""
    return transition(order, S.OFFERED, actor=actor, reason=reason)


@transaction.atomic
def mark_no_provider(*, order: Order, reason: str) -> Order:
    return transition(order, S.NO_PROVIDER, actor=None, reason=reason)


@transaction.atomic
def reopen_for_matching(*, order: Order, actor, reason: str) -> Order:
    """Send an offered or unmatched order back to matching (declined, timed out, retried)."""
    order = transition(order, S.REQUESTED, actor=actor, reason=reason)
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
    order = locked(order)
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
            order = transition(
                order,
                S.CONFIRMED,
                actor=actor,
                reason=reason,
                provider=provider,
                blocked_until=busy_until,
            )
    except IntegrityError as exc:  # the exclusion constraint lost a race for us
        raise DoubleBookingError(_("This provider is already booked at that time.")) from exc
    reprice_for_provider(order=order, provider=provider, actor=actor)
    # R-ORD-4: both parties sign it before the job starts; a contract for another provider,
    # time or price is voided and a new one issued.
    generate_contract(order=order, actor=actor)
    return order


REPRICED_REASON = gettext_noop("Priced for the provider's qualification")


def reprice_for_provider(*, order: Order, provider: Provider, actor=None) -> Order:
    """The customer pays the price of the provider who does the job (R-ORD-2): the order's own
    price book version at that provider's tier (e.g. experienced: x1.15), recorded on the
    timeline. Called in the transaction that records the customer's choice or a provider's
    acceptance, so a job matched to a provider of another tier is priced again. A guarantee
    redo stays free; an order without a frozen breakdown keeps its price. A contract stating
    another price is voided by `generate_contract`."""
    lines = lines_for_tier(order, provider.tier)
    if order.channel == Channel.GUARANTEE or lines is None:
        return order
    price = sum((line.amount for line in lines), Decimal("0"))
    price_lines = [line.to_json() for line in lines]
    if price == order.price and price_lines == order.price_lines:
        return order
    order.price, order.price_lines = price, price_lines
    order.save(update_fields=["price", "price_lines"])
    add_note(order, actor=actor, reason=REPRICED_REASON)
    return order


@transaction.atomic
def start_job(*, order: Order, provider: Provider) -> Order:
    order = locked_for_provider(order, provider)
    if order.status == S.CONFIRMED and not order_is_fully_signed(order):
        raise OrderError(
            _("The job can start only after the customer and you have both signed the contract.")
        )
    if order.status == S.CONFIRMED and not has_checked_in(order):  # R-ORD-6
        raise OrderError(_("Check in with the customer on arrival before starting the job."))
    return transition(
        order, S.IN_PROGRESS, actor=provider.user, reason=gettext_noop("Started on site")
    )


@transaction.atomic
def complete_job(
    *, order: Order, provider: Provider, summary: str = "", options_done=None
) -> Order:
    """Finish a running job with the provider's report (R-ORD-6): `summary` says what was done,
    `options_done` maps each booked option's code to whether it was done."""
    order = locked_for_provider(order, provider)
    draft = None
    if order.status == S.IN_PROGRESS:  # otherwise transition refuses, naming the status
        draft = validate_report(order=order, summary=summary, options_done=options_done)
    order = transition(
        order,
        S.COMPLETED,
        actor=provider.user,
        reason=gettext_noop("Completed by the provider"),
        completed_at=timezone.now(),
    )
    assert draft is not None  # transition refused anything but a job in progress
    save_report(order=order, provider=provider, draft=draft)
    order_completed.send(sender=Order, order=order)
    order_id = order.pk
    after_commit(notifications.tell_completed, order_id)
    return order


ON_THE_WAY_REASON = gettext_noop("The provider is on the way")


@transaction.atomic
def announce_departure(*, order: Order, provider: Provider) -> Order:
    """The assigned provider sets off to a confirmed job; the customer is told once."""
    order = locked_for_provider(order, provider)
    if order.status != S.CONFIRMED:
        raise OrderError(
            _("This job is %(current)s; you can say you are on the way only to a confirmed job.")
            % {"current": order.get_status_display().lower()}
        )
    if order.events.filter(reason=ON_THE_WAY_REASON).exists():
        return order  # already announced: the customer is not told twice
    add_note(order, actor=provider.user, reason=ON_THE_WAY_REASON)
    order_id = order.pk
    after_commit(notifications.tell_on_the_way, order_id)
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
    order = locked(order)
    was_confirmed = order.status == S.CONFIRMED
    terms = cancellation_terms(order)
    fee = Decimal("0") if waive_fee else terms.fee
    order = transition(order, S.CANCELLED, actor=actor, reason=reason.strip(), cancellation_fee=fee)
    if fee:
        charge_fee(
            customer=order.customer,
            amount=fee,
            currency=order.currency,
            memo=gettext_noop("Late cancellation fee"),
            cause=Cause.ORDER,
            cause_id=order.pk,
            actor=actor,
        )
    elif terms.fee:
        add_note(order, actor=actor, reason=gettext_noop("Cancellation fee waived"))
    order_cancelled.send(sender=Order, order=order, actor=actor)
    if was_confirmed:
        order_id = order.pk
        after_commit(tell_provider, order_id, "job_cancelled")
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


def _check_may_reschedule(order: Order, actor) -> None:
    """The customer within the free-cancellation window, an operator at any time, and only an
    order not started yet."""
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


class ReleasesProvider(OrderError):
    """The assigned provider cannot come at the new time: moving there releases them, voids
    the contract and sends the order back to choosing; the mover must say so."""


RELEASED_REASON = gettext_noop("The provider is not free at the new time; finding another")


@transaction.atomic
def reschedule_order(
    *,
    order: Order,
    actor,
    day: date,
    start: time,
    reason: str,
    release_provider: bool = False,
) -> Order:
    """Move an order not yet started to another time at the same price (R-ORD-5).

    Customers may do it only within the free-cancellation window; operators at any time. A
    confirmed job keeps its provider when they are free then (a new contract for the new time is
    issued for both to sign). A time they are not free at releases them (the contract voided,
    the order back to choosing a provider) only with `release_provider`; otherwise
    ReleasesProvider says plainly what would happen. `orders.scheduling.new_times` lists the
    times, the provider's first.
    """
    if not reason.strip():
        raise OrderError(_("Say why the time changes."))
    locked_provider_id = order.provider_id
    if locked_provider_id:  # providers are locked before orders (as in confirm_order)
        Provider.objects.select_for_update().get(pk=locked_provider_id)
    order = locked(order)
    if order.provider_id != locked_provider_id:
        raise OrderError(_("The order changed meanwhile; please try again."))
    _check_may_reschedule(order, actor)
    # The booked length and price stay as they were: only the new time is checked.
    starts_at, _ends = validate_time(day=day, start=start, duration=order.duration)
    if starts_at == order.starts_at:
        raise OrderError(_("The order is already booked for that time."))
    ends_at = starts_at + order.duration  # the booked length and price stay as they were
    old_start = order.starts_at
    add_note(
        order,
        actor=actor,
        reason=f"Rescheduled from {timezone.localtime(old_start):%Y-%m-%d %H:%M} "
        f"to {timezone.localtime(starts_at):%Y-%m-%d %H:%M}: {reason.strip()}",
    )
    moved = {"starts_at": starts_at, "ends_at": ends_at}
    if order.status == S.CONFIRMED:
        order, kept = _move_confirmed(order, moved, actor, release_provider, old_start)
        if kept:
            return order
    elif order.status in (S.OFFERED, S.NO_PROVIDER):
        order = transition(
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


def _move_confirmed(order: Order, moved: dict, actor, release_provider: bool, old_start):
    """Move a confirmed job: with its provider when they are free then (the contract for the
    old time voided and a new one issued), else only with `release_provider` (the provider
    released, the contract voided, the order back to matching). Returns (order, kept)."""
    provider = order.provider
    assert provider is not None  # a confirmed job has its provider (a constraint)
    starts_at, ends_at = moved["starts_at"], moved["ends_at"]
    if _provider_free_for(order, provider, starts_at, ends_at):
        busy_until = ends_at + timedelta(minutes=settings.TRAVEL_BUFFER_MINUTES)
        for name, value in {**moved, "blocked_until": busy_until}.items():
            setattr(order, name, value)
        order.save(update_fields=["starts_at", "ends_at", "blocked_until"])
        if current_contract(order) is not None:  # void the old time's, issue the new
            generate_contract(order=order, actor=actor)
        order_id = order.pk
        after_commit(_tell_rescheduled_provider, order_id, old_start.isoformat())
        return order, True
    if not release_provider:
        message = _(
            "%(name)s is not free at the new time. If you choose it, %(name)s is released, "
            "the contract is voided and you choose a new provider for the new time. Confirm "
            "to go ahead, or pick a time when %(name)s can come."
        ) % {"name": provider.first_name}
        raise ReleasesProvider({"release_provider": message})
    order = transition(
        order,
        S.REQUESTED,
        actor=actor,
        reason=RELEASED_REASON,
        provider=None,
        blocked_until=None,
        **moved,
    )
    void_contract(order=order, actor=actor, reason=RELEASED_REASON)
    order_id, provider_id = order.pk, provider.pk
    after_commit(_tell_released_provider, order_id, provider_id, old_start.isoformat())
    return order, False


def _tell_rescheduled_provider(order_id: int, old_start: str) -> None:
    tell_provider(order_id, "job_rescheduled", old_start=datetime.fromisoformat(old_start))


def _tell_released_provider(order_id: int, provider_id: int, old_start: str) -> None:
    provider = Provider.objects.select_related("user").get(pk=provider_id)
    notify_user(
        user=provider.user,
        template="orders/notifications/job_released",
        context={
            "order": Order.objects.get(pk=order_id),
            "old_start": datetime.fromisoformat(old_start),
        },
    )
