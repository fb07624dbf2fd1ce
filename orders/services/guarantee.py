"""The guarantee (R-ORD-7) and the customer's balance (R-SUP-7): an unsatisfactory job is
claimed within GUARANTEE_CLAIM_DAYS of its completion, once; an operator redoes it at no charge
(preferably by another provider), credits the customer's balance, or rejects the claim with a
note; the customer is told what was done (R-QC-7)."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.notifications import notify_user
from core.outbox import after_commit
from ledger.models import Cause
from ledger.services.wallet import credit_wallet

from ..models import Channel, ClaimStatus, GuaranteeClaim, Order, OrderOption
from ..models import OrderStatus as S
from ..signals import order_requested
from .booking import validate_time
from .care import care_details_of, create_care_recipient
from .common import OrderError, add_note, begin, locked


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
    order = locked(order)
    if order.customer_id != customer.pk:
        raise ClaimError(_("Only the customer of this order can claim the guarantee."))
    if order.status != S.COMPLETED:
        raise ClaimError(_("The guarantee can be claimed only for a completed job."))
    window_ends = claim_window_ends(order)
    if window_ends is None or timezone.now() > window_ends:
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
    add_note(order, actor=customer, reason=gettext_noop("Guarantee claimed"))
    return claim


DECIDED_REASONS: dict[str, str] = {
    ClaimStatus.REDO: gettext_noop("Guarantee: the work will be redone at no charge"),
    ClaimStatus.COMPENSATED: gettext_noop("Guarantee: compensation credited"),
    ClaimStatus.REJECTED: gettext_noop("Guarantee claim not accepted"),
}


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
        fields.update(status=ClaimStatus.REDO, redo_order=_book_redo(order, actor, day, start))
    elif decision == ClaimDecision.COMPENSATE:
        _credit_compensation(order, actor, amount)
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
    add_note(order, actor=actor, reason=DECIDED_REASONS[claim.status])
    claim_id = claim.pk
    after_commit(_tell_claim_decision, claim_id)
    return claim


def _book_redo(order: Order, actor, day: date | None, start: time | None) -> Order:
    """The same job again at no charge, preferably by another provider; matching starts on
    commit."""
    if day is None or start is None:
        raise ClaimError(_("Choose the day and time of the new visit."))
    starts_at, _ends = validate_time(day=day, start=start, duration=order.duration)
    redo = Order.objects.create(
        **order.job_details(),
        starts_at=starts_at,
        ends_at=starts_at + order.duration,
        price=Decimal("0"),
        currency=order.currency,
        status=S.REQUESTED,
        channel=Channel.GUARANTEE,
        taken_by=actor,
        avoid_provider=order.provider,
    )
    # The extras it redoes, at no charge (their minutes are in the length already).
    OrderOption.objects.bulk_create(
        [
            OrderOption(
                order=redo,
                option_id=chosen.option_id,
                name=chosen.name,
                price=Decimal("0"),
                extra_minutes=chosen.extra_minutes,
            )
            for chosen in order.options.all()
        ]
    )
    care = care_details_of(order)
    if care is not None:  # the same person is cared for on the redo (R-ORD-1)
        create_care_recipient(order=redo, details=care)
    begin(
        redo,
        actor=actor,
        reason=gettext_noop("Guarantee redo at no charge; another provider is preferred"),
    )
    order_requested.send(sender=Order, order=redo)
    return redo


def _credit_compensation(order: Order, actor, amount: Decimal | None) -> None:
    if amount is None or amount <= 0:
        raise ClaimError(_("Enter a compensation amount above zero."))
    if amount > order.price:
        raise ClaimError(_("The compensation cannot exceed the price of the order."))
    credit_wallet(
        customer=order.customer,
        amount=amount,
        currency=order.currency,
        memo=gettext_noop("Guarantee compensation"),
        cause=Cause.ORDER,
        cause_id=order.pk,
        actor=actor,
    )


def _tell_claim_decision(claim_id: int) -> None:
    claim = GuaranteeClaim.objects.select_related("order", "customer", "redo_order").get(
        pk=claim_id
    )
    notify_user(
        user=claim.customer,
        template="orders/notifications/claim_decided",
        context={"claim": claim, "order": claim.order},
    )
