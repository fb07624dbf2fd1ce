"""Receipts (R-PAY-5): every paid payment and every refund gets one, numbered without gaps per
year, written in the customer's language.

The year's counter row is locked while a receipt is numbered, in the transaction that records
the payment or refund: two receipts at once wait for each other, and a transaction that rolls
back takes its number back with it, so the numbers of a year run 1, 2, 3... with no hole.
"""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from ..models import Payment, Receipt, ReceiptCounter, ReceiptKind, Refund


def _next_number(year: int) -> int:
    try:
        with transaction.atomic():
            ReceiptCounter.objects.get_or_create(year=year)
    except IntegrityError:  # created by a concurrent receipt meanwhile
        pass
    counter = ReceiptCounter.objects.select_for_update().get(year=year)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number


@transaction.atomic
def issue_receipt(*, payment: Payment | None = None, refund: Refund | None = None) -> Receipt:
    """The receipt of a paid payment or of a refund; issuing it again returns the same one."""
    if (payment is None) == (refund is None):
        raise ValueError("A receipt is for one payment or one refund")
    existing = Receipt.objects.filter(payment=payment, refund=refund).first()
    if existing is not None:
        return existing
    subject = payment if payment is not None else refund.payment  # type: ignore[union-attr]
    customer = subject.customer
    year = timezone.localdate().year
    return Receipt.objects.create(
        year=year,
        number=_next_number(year),
        kind=ReceiptKind.PAYMENT if payment is not None else ReceiptKind.REFUND,
        payment=payment,
        refund=refund,
        customer=customer,
        amount=payment.amount if payment is not None else refund.amount,  # type: ignore[union-attr]
        currency=subject.currency,
        language=customer.preferred_language or settings.LANGUAGE_CODE,
    )
