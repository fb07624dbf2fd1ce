"""Taking a customer's payment for an order (R-PAY-2, R-PAY-3).

The amount due is always computed here from our records: what the order costs and has not
been paid yet, plus fees the customer owes (a late cancellation). The wallet covers what it can
(its part is taken when the payment starts, and given back if the payment fails); the gateway
takes the rest. Whatever reports on a payment (the customer's return, the gateway's callback,
the recovery sweep) goes through `settle`, which locks the order and the payment, checks the
report against our payment, and records the outcome once: the same callback twice, or a return
and a callback racing, settle one payment, post one entry and issue one receipt.

Ledger entries (signs from each holder's side, ledger/models/journal.py):
- the wallet's part at start:  wallet -w, customer's orders +w₁, fees owed +w₂
- the gateway's part when paid: gateway clearing -g, customer's orders +g₁, fees owed +g₂
where the order's part is taken first and fees after it.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from core.lifecycle import Lifecycle, TransitionError
from ledger.models import AccountKind, Cause, JournalEntry, LedgerAccount
from ledger.money import to_minor
from ledger.selectors import balance
from ledger.services.posting import Leg, platform, post_entry, reverse_entry
from orders.models import Order, OrderStatus, PaymentTiming

from ..gateways import FAILED, PAID, PENDING, CallbackRefused, GatewayError, Report, get_gateway
from ..models import OPEN_STATUSES, Payment, PaymentEvent, PaymentStatus
from .accounts import fees_account, orders_account, wallet_account
from .receipts import issue_receipt
from .refunds import refund_payment

logger = logging.getLogger(__name__)

S = PaymentStatus

ALLOWED_TRANSITIONS = {
    S.CREATED: {S.PENDING, S.SUCCEEDED, S.FAILED, S.CANCELLED},
    S.PENDING: {S.SUCCEEDED, S.FAILED, S.CANCELLED},
    # Money the gateway took after we gave up on the payment is still the customer's money
    # paid: it is recorded (and, if the order no longer needs it, returned to the wallet).
    S.FAILED: {S.SUCCEEDED},
    S.CANCELLED: {S.SUCCEEDED},
    S.SUCCEEDED: set(),
}


class PaymentError(TransitionError):
    pass


PAYMENT_LIFECYCLE = Lifecycle(
    allowed=ALLOWED_TRANSITIONS,
    event_model=PaymentEvent,
    error=PaymentError,
    refusal=gettext_lazy("A payment that is %(current)s cannot become %(target)s."),
)

WALLET = "wallet"  # the "gateway" of a payment the wallet covers whole


@dataclass(frozen=True)
class AmountDue:
    """What paying for the order now takes, in minor units."""

    currency: str
    order_amount: int
    fees_amount: int
    wallet_available: int

    @property
    def total(self) -> int:
        return self.order_amount + self.fees_amount

    @property
    def wallet_amount(self) -> int:
        return min(self.wallet_available, self.total)

    @property
    def gateway_amount(self) -> int:
        return self.total - self.wallet_amount


def paid_for_order(order: Order) -> int:
    """The order's part of its paid payments, net of refunds (minor units)."""
    paid = order.payments.filter(status=S.SUCCEEDED).aggregate(
        paid=Sum("order_amount"), refunded=Sum("refunded_amount"), kept=Sum("retained_amount")
    )
    return (paid["paid"] or 0) - (paid["refunded"] or 0) - (paid["kept"] or 0)


def payable_refusal(order: Order) -> str | None:
    """Why the order cannot be paid now, or None."""
    if order.status == OrderStatus.CANCELLED:
        return _("This order is cancelled.")
    timing = order.service_type.payment_timing
    if timing == PaymentTiming.AFTER_COMPLETION and order.status != OrderStatus.COMPLETED:
        return _("This service is paid once the job is done.")
    return None


def amount_due(order: Order) -> AmountDue:
    currency = order.currency
    price = to_minor(order.price, currency)
    owed_fees = max(0, -balance(fees_account(order.customer, currency)))
    return AmountDue(
        currency=currency,
        order_amount=max(0, price - paid_for_order(order)),
        fees_amount=owed_fees,
        wallet_available=max(0, balance(wallet_account(order.customer, currency))),
    )


def _split(amount: int, order_part: int) -> tuple[int, int]:
    """`amount` split between the order (first) and the fees."""
    to_order = min(amount, order_part)
    return to_order, amount - to_order


def _credit_legs(payment: Payment, amount: int, already_to_order: int) -> list[Leg]:
    to_order, to_fees = _split(amount, payment.order_amount - already_to_order)
    legs = []
    if to_order:
        legs.append(Leg(orders_account(payment.customer, payment.currency), to_order))
    if to_fees:
        legs.append(Leg(fees_account(payment.customer, payment.currency), to_fees))
    return legs


def wallet_key(payment: Payment) -> str:
    return f"payment:{payment.pk}:wallet"


def gateway_key(payment: Payment) -> str:
    return f"payment:{payment.pk}:gateway"


def _new_reference() -> str:
    return "P" + secrets.token_hex(8).upper()


def _take_wallet_part(payment: Payment) -> None:
    """Move the wallet's part now, under the wallet's lock, so two payments cannot both spend
    the same credit; refused if the wallet no longer holds it."""
    if not payment.wallet_amount:
        return
    wallet = LedgerAccount.objects.select_for_update().get(
        pk=wallet_account(payment.customer, payment.currency).pk
    )
    if balance(wallet) < payment.wallet_amount:
        raise PaymentError(_("Your wallet holds less than it did; start the payment again."))
    post_entry(
        legs=[
            Leg(wallet, -payment.wallet_amount),
            *_credit_legs(payment, payment.wallet_amount, 0),
        ],
        memo=gettext_noop("Paid from the wallet"),
        cause=Cause.PAYMENT,
        cause_id=payment.pk,
        actor=payment.customer,
        idempotency_key=wallet_key(payment),
    )


def _give_wallet_part_back(payment: Payment, actor) -> None:
    entry = JournalEntry.objects.filter(idempotency_key=wallet_key(payment)).first()
    if entry is not None and not JournalEntry.objects.filter(reverses=entry).exists():
        reverse_entry(
            entry=entry, actor=actor, reason=gettext_noop("The payment did not go through")
        )


@transaction.atomic
def start_payment(*, order: Order, customer, use_wallet: bool = True) -> Payment:
    """A payment of what the order owes now. An unfinished payment of the same amounts is
    resumed; one whose amounts are no longer right is cancelled first."""
    order = Order.objects.select_for_update().select_related("service_type").get(pk=order.pk)
    if order.customer_id != customer.pk:
        raise PaymentError(_("You can only pay for your own orders."))
    refusal = payable_refusal(order)
    if refusal:
        raise PaymentError(refusal)
    due = amount_due(order)
    wallet_part = due.wallet_amount if use_wallet else 0
    unfinished = order.payments.filter(status__in=OPEN_STATUSES).first()
    if unfinished is not None:
        if (
            unfinished.order_amount == due.order_amount
            and unfinished.fees_amount == due.fees_amount
            and unfinished.status == S.PENDING
        ):
            return unfinished
        _cancel(unfinished, actor=customer, reason=gettext_noop("Replaced by a new payment"))
        due = amount_due(order)  # the wallet's part came back
        wallet_part = due.wallet_amount if use_wallet else 0
    if due.order_amount <= 0:
        raise PaymentError(_("This order is paid."))
    payment = Payment.objects.create(
        reference=_new_reference(),
        order=order,
        customer=customer,
        currency=due.currency,
        order_amount=due.order_amount,
        fees_amount=due.fees_amount,
        amount=due.total,
        wallet_amount=wallet_part,
        gateway_amount=due.total - wallet_part,
        gateway=WALLET if due.total == wallet_part else settings.PAYMENT_GATEWAY,
    )
    PAYMENT_LIFECYCLE.begin(payment, actor=customer, reason=gettext_noop("Payment started"))
    _take_wallet_part(payment)
    if payment.gateway_amount == 0:
        _succeed(payment, details={}, actor=customer, reason=gettext_noop("Paid from the wallet"))
    return payment


def send_to_gateway(payment: Payment, *, return_url: str, callback_url: str) -> Payment:
    """Open the payment at the gateway (outside any transaction: a network call) and record
    where the customer pays. A gateway that cannot be reached leaves the payment waiting."""
    if payment.status != S.CREATED:
        return payment
    gateway = get_gateway(payment.gateway)
    redirect = gateway.start(
        payment,
        return_url=return_url,
        callback_url=callback_url,
        description=_("Order #%(number)s") % {"number": payment.order_id},
    )
    with transaction.atomic():
        return PAYMENT_LIFECYCLE.transition(
            payment,
            S.PENDING,
            actor=None,
            reason=gettext_noop("Sent to the payment gateway"),
            gateway_reference=redirect.gateway_reference,
            redirect_url=redirect.url,
        )


def _succeed(payment: Payment, *, details, actor, reason: str) -> Payment:
    if payment.gateway_amount:
        legs = [
            Leg(platform(AccountKind.GATEWAY_CLEARING, payment.currency), -payment.gateway_amount),
            *_credit_legs(
                payment, payment.gateway_amount, min(payment.wallet_amount, payment.order_amount)
            ),
        ]
        post_entry(
            legs=legs,
            memo=gettext_noop("Paid through the payment gateway"),
            cause=Cause.PAYMENT,
            cause_id=payment.pk,
            actor=actor,
            idempotency_key=gateway_key(payment),
        )
    PAYMENT_LIFECYCLE.transition(
        payment,
        S.SUCCEEDED,
        actor=actor,
        reason=reason,
        settled_at=timezone.now(),
        gateway_details=dict(details),
    )
    issue_receipt(payment=payment)
    return payment


def _cancel(payment: Payment, *, actor, reason: str, to: str = S.CANCELLED) -> Payment:
    PAYMENT_LIFECYCLE.transition(payment, to, actor=actor, reason=reason)
    _give_wallet_part_back(payment, actor)
    return payment


def _check_report(payment: Payment, report: Report) -> None:
    """A report about someone else's payment, or for another amount, is refused."""
    if report.gateway_reference != payment.gateway_reference:
        raise CallbackRefused(_("The gateway's reference is not this payment's."), code="reference")
    if report.our_reference is not None and report.our_reference != payment.reference:
        raise CallbackRefused(_("The payment reference is not ours."), code="reference")
    if report.currency is not None and report.currency.upper() != payment.currency:
        raise CallbackRefused(
            _("The currency is %(given)s; the payment is in %(ours)s.")
            % {"given": report.currency, "ours": payment.currency},
            code="currency",
        )
    if (
        report.state == PAID
        and report.amount is not None
        and report.amount != payment.gateway_amount
    ):
        raise CallbackRefused(
            _("The amount is %(given)s; the payment is for %(ours)s (minor units).")
            % {"given": report.amount, "ours": payment.gateway_amount},
            code="amount",
        )


@transaction.atomic
def settle(payment: Payment, report: Report, *, source: str) -> Payment:
    """Record what the gateway reported, once (see the module doc). `source` says who told
    us (return, callback, sweep) for the timeline."""
    Order.objects.select_for_update().filter(pk=payment.order_id).first()
    payment = Payment.objects.select_for_update().select_related("customer").get(pk=payment.pk)
    _check_report(payment, report)
    if report.state == PAID:
        if payment.status == S.SUCCEEDED:
            return payment
        _succeed(payment, details=report.details, actor=None, reason=source)
        _return_overpayment(payment)
    elif report.state == FAILED and payment.status in OPEN_STATUSES:
        _cancel(payment, actor=None, reason=source, to=S.FAILED)
    return payment


def _return_overpayment(payment: Payment) -> None:
    """A payment the order no longer needs (it was cancelled, or paid twice by a late success)
    goes back to the customer's wallet."""
    order = payment.order
    price = 0 if order.status == OrderStatus.CANCELLED else to_minor(order.price, order.currency)
    excess = min(paid_for_order(order) - price, payment.refundable_amount)
    if excess > 0:
        refund_payment(
            payment=payment,
            amount=excess,
            destination="wallet",
            reason=gettext_noop("Paid more than the order needs"),
            actor=None,
            idempotency_key=f"payment:{payment.pk}:excess",
        )


def _find(gateway_name: str, gateway_reference: str) -> Payment:
    payment = Payment.objects.filter(
        gateway=gateway_name, gateway_reference=gateway_reference
    ).first()
    if payment is None or not gateway_reference:
        raise CallbackRefused(_("There is no such payment."), code="unknown")
    return payment


def receive_return(gateway_name: str, params) -> Payment:
    """The customer came back from the gateway's page: ask the gateway and settle."""
    gateway = get_gateway(gateway_name)
    payment = _find(gateway_name, gateway.reference_from_return(params))
    report = gateway.confirm(payment, params)
    return settle(payment, report, source=gettext_noop("The customer came back from the gateway"))


def receive_callback(gateway_name: str, body: bytes, headers) -> Payment:
    """The gateway called us: verify the call's signature, then settle."""
    gateway = get_gateway(gateway_name)
    report = gateway.parse_callback(body, headers)
    payment = _find(gateway_name, report.gateway_reference)
    return settle(payment, report, source=gettext_noop("The payment gateway reported"))


def recheck_payment(payment: Payment) -> Payment:
    """Ask the gateway about a payment nobody reported on (a lost callback, a crash between the
    gateway and us) and settle it; one left unfinished too long is cancelled."""
    expired = payment.created_at < timezone.now() - timedelta(
        minutes=settings.PAYMENT_EXPIRES_AFTER_MINUTES
    )
    if payment.status == S.PENDING:
        report = get_gateway(payment.gateway).query(payment)
        payment = settle(payment, report, source=gettext_noop("Found by the payment check"))
        if report.state != PENDING or not expired:
            return payment
    if payment.status in OPEN_STATUSES and expired:
        with transaction.atomic():
            payment = Payment.objects.select_for_update().get(pk=payment.pk)
            if payment.status in OPEN_STATUSES:
                _cancel(payment, actor=None, reason=gettext_noop("Not finished in time"))
    return payment


def payments_to_recheck():
    """Open payments nobody reported on for a while (the sweep's work list)."""
    quiet_since = timezone.now() - timedelta(minutes=settings.PAYMENT_RECHECK_AFTER_MINUTES)
    return Payment.objects.filter(status__in=OPEN_STATUSES, status_changed_at__lt=quiet_since)


def sweep_payments() -> int:
    """Re-check every quiet open payment; a gateway that cannot be reached is asked next
    time. Returns how many were checked."""
    checked = 0
    for payment in payments_to_recheck().order_by("status_changed_at")[:500]:
        try:
            recheck_payment(payment)
        except (GatewayError, CallbackRefused) as error:
            logger.warning("payment %s not rechecked: %s", payment.reference, error)
        checked += 1
    return checked


@transaction.atomic
def cancel_open_payments(order: Order, *, actor) -> None:
    for payment in order.payments.select_for_update().filter(status__in=OPEN_STATUSES):
        _cancel(payment, actor=actor, reason=gettext_noop("The order was cancelled"))
