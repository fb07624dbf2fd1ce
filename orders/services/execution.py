"""Doing the job (R-ORD-6): arrival check-in, and the report written on completion.

    confirmed --check in (on arrival, both signed)--> confirmed --start--> in_progress
              --complete (with a report)--> completed

The check-in does not change the status: it is an audited event on the confirmed order (from
confirmed to confirmed, with the reason) and an `ArrivalCheckIn` row. The provider may check in
from CHECK_IN_OPENS_MINUTES_BEFORE minutes before the start until the scheduled end, once, and
only after both parties signed the contract; `lifecycle.start_job` then requires it.
`lifecycle.complete_job` requires a `CompletionReport` built and validated here.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.outbox import after_commit
from providers.models import Provider

from .. import notifications
from ..models import ArrivalCheckIn, CompletionReport, Order, OrderOption
from ..models import OrderStatus as S
from .common import OrderError, add_note, locked_for_provider
from .contracts import order_is_fully_signed

ARRIVED_REASON = gettext_noop("The provider arrived and confirmed the details with the customer")
ARRIVED_WITH_DIFFERENCES_REASON = gettext_noop(
    "The provider arrived; some details differ from the booking"
)
SUMMARY_MAX = 2000
DIFFERENCES_MAX = 2000


class ExecutionError(OrderError):
    """A check-in or a completion report was refused; the message says why."""


# --- Check-in -------------------------------------------------------------------------------


def check_in_items(order: Order) -> list[str]:
    """The details the provider goes through with the customer, as CHECK_IN_ITEMS codes."""
    items = ["address", "service"]
    if order.service_type.asks_about_person_cared_for:
        items.append("person_cared_for")
    else:
        items.append("home_area")
    if order.notes.strip():
        items.append("personal_requests")
    return items


def check_in_window(order: Order) -> tuple[datetime, datetime]:
    """From CHECK_IN_OPENS_MINUTES_BEFORE before the start until the scheduled end."""
    opens = order.starts_at - timedelta(minutes=settings.CHECK_IN_OPENS_MINUTES_BEFORE)
    return opens, order.ends_at


def has_checked_in(order: Order) -> bool:
    return ArrivalCheckIn.objects.filter(order=order).exists()


def _refuse_check_in(order: Order) -> None:
    if order.status != S.CONFIRMED:
        raise ExecutionError(
            _("This job is %(current)s; you can check in only to a confirmed job.")
            % {"current": order.get_status_display().lower()}
        )
    if has_checked_in(order):
        raise ExecutionError(_("You have already checked in to this job."))
    if not order_is_fully_signed(order):
        raise ExecutionError(
            _("You can check in only after the customer and you have both signed the contract.")
        )
    opens, closes = check_in_window(order)
    now = timezone.now()
    if now < opens:
        raise ExecutionError(
            _("Check-in opens at %(time)s, %(minutes)s minutes before the start.")
            % {
                "time": timezone.localtime(opens).strftime("%Y-%m-%d %H:%M"),
                "minutes": settings.CHECK_IN_OPENS_MINUTES_BEFORE,
            }
        )
    if now > closes:
        raise ExecutionError(
            _("The time booked for this job is over; please call us to sort it out.")
        )


def can_check_in(order: Order) -> bool:
    try:
        _refuse_check_in(order)
    except ExecutionError:
        return False
    return True


@transaction.atomic
def check_in(
    *, order: Order, provider: Provider, confirmed_items, differences: str = ""
) -> ArrivalCheckIn:
    """The assigned provider has arrived and went through the booking with the customer: every
    item of `check_in_items` ticked, and a note on anything that differs. The customer is told."""
    order = locked_for_provider(order, provider)
    _refuse_check_in(order)
    confirmed = list(dict.fromkeys(confirmed_items))
    required = check_in_items(order)
    unknown = [code for code in confirmed if code not in required]
    if unknown or set(required) - set(confirmed):
        raise ExecutionError(
            _("Go through every item with the customer and tick it, then check in.")
        )
    differences = differences.strip()
    if len(differences) > DIFFERENCES_MAX:
        raise ExecutionError(
            _("Describe the differences in at most %(max)s characters.") % {"max": DIFFERENCES_MAX}
        )
    record = ArrivalCheckIn.objects.create(
        order=order,
        provider=provider,
        confirmed_items=required,  # in the checklist's order
        has_differences=bool(differences),
        differences=differences,
    )
    add_note(
        order,
        actor=provider.user,
        reason=ARRIVED_WITH_DIFFERENCES_REASON if differences else ARRIVED_REASON,
    )
    order_id = order.pk
    after_commit(notifications.tell_arrived, order_id)
    return record


# --- Completion report ----------------------------------------------------------------------


def booked_options(order: Order) -> list[OrderOption]:
    return list(order.options.select_related("option").order_by("id"))


@dataclass(frozen=True)
class ReportDraft:
    summary: str
    options_done: list[dict]


def validate_report(
    *, order: Order, summary: str, options_done: Mapping[str, bool] | None
) -> ReportDraft:
    """A short text of what was done, and for each option booked whether it was done."""
    summary = (summary or "").strip()
    if not summary:
        raise ExecutionError(_("Write a short report of what was done before completing."))
    if len(summary) > SUMMARY_MAX:
        raise ExecutionError(
            _("Keep the report to at most %(max)s characters.") % {"max": SUMMARY_MAX}
        )
    options_done = dict(options_done or {})
    rows = []
    for booked in booked_options(order):
        code = booked.option.code
        if code not in options_done:
            raise ExecutionError(
                _("Say whether “%(option)s” was done.") % {"option": _(booked.name)}
            )
        rows.append({"code": code, "name": booked.name, "done": bool(options_done.pop(code))})
    if options_done:
        raise ExecutionError(_("The report names options that were not booked."))
    return ReportDraft(summary=summary, options_done=rows)


def save_report(*, order: Order, provider: Provider, draft: ReportDraft) -> CompletionReport:
    """Called by lifecycle.complete_job in its transaction."""
    return CompletionReport.objects.create(
        order=order, provider=provider, summary=draft.summary, options_done=draft.options_done
    )


# --- The customer's rating of the job -------------------------------------------------------


def record_customer_rating(*, order: Order, score: float) -> None:
    """Keep the customer's score of a completed job on the order (reviews calls this when the
    job is rated), so matching can tell a customer's good past experience with a provider
    without reading ratings."""
    Order.objects.filter(pk=order.pk, status=S.COMPLETED).update(customer_rating=score)
