"""{% payment_panel order %}: what the customer has paid for the order and what is left to pay,
with receipts (on the order page, which orders renders without knowing about payments)."""

from django import template

from ledger.money import from_minor

from ..models import PaymentStatus, Receipt
from ..services import checkout

register = template.Library()


@register.inclusion_tag("payments/fragment_payment_panel.html")
def payment_panel(order):
    payments = list(order.payments.order_by("created_at", "id"))
    receipts = Receipt.objects.filter(payment__order=order) | Receipt.objects.filter(
        refund__payment__order=order
    )
    refusal = checkout.payable_refusal(order)
    due = checkout.amount_due(order) if refusal is None else None
    return {
        "order": order,
        "paid": from_minor(checkout.paid_for_order(order), order.currency),
        "has_paid": any(p.status == PaymentStatus.SUCCEEDED for p in payments),
        "due": from_minor(due.order_amount, order.currency) if due else None,
        "refusal": refusal,
        "receipts": receipts.select_related("refund").order_by("year", "number"),
        "timing": order.service_type.get_payment_timing_display(),
    }


@register.filter
def major(minor, currency):
    """{{ payment.amount|major:payment.currency|money:payment.currency }}: minor units to the
    amount orders and templates show."""
    return from_minor(int(minor or 0), currency)
