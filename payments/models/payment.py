"""A customer's payment for an order, its refunds, and the receipts of both (R-PAY-2, R-PAY-3,
R-PAY-5).

Amounts are integers in the currency's minor units, like the ledger's. A payment's total is
computed from our order (its price, plus fees the customer still owes) when the customer starts
to pay; the wallet covers what it can and the gateway the rest. The request never says how much.
"""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.models import StatusEvent
from core.models.fields import reference as foreign_key
from core.models.fields import user_reference


class PaymentStatus(models.TextChoices):
    CREATED = "created", _("Waiting for the customer")
    PENDING = "pending", _("At the payment gateway")
    SUCCEEDED = "succeeded", _("Paid")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


# A payment still under way: one per order at a time.
OPEN_STATUSES = (PaymentStatus.CREATED, PaymentStatus.PENDING)


class Payment(models.Model):
    reference = models.CharField(_("our reference"), max_length=32, unique=True, editable=False)
    order = foreign_key("orders.Order", _("order"), related_name="payments")
    customer = user_reference(_("customer"), related_name="payments")
    currency = models.CharField(_("currency"), max_length=3)
    # The parts of the total, each from our own records: the order's price and the fees owed.
    order_amount = models.BigIntegerField(_("for the order (minor units)"))
    fees_amount = models.BigIntegerField(_("fees owed (minor units)"), default=0)
    amount = models.BigIntegerField(_("total (minor units)"))
    wallet_amount = models.BigIntegerField(_("from the wallet (minor units)"), default=0)
    gateway_amount = models.BigIntegerField(_("through the gateway (minor units)"), default=0)
    gateway = models.CharField(_("gateway"), max_length=20)
    # The gateway's own id of the payment (Zarinpal's authority, the sandbox's charge id).
    gateway_reference = models.CharField(
        _("gateway reference"), max_length=100, null=True, blank=True
    )
    # Where the customer pays (the gateway's page), to resume an unfinished payment.
    redirect_url = models.CharField(_("payment page"), max_length=500, blank=True)
    # What the gateway said when it settled (masked card, its transaction id): shown to staff.
    gateway_details = models.JSONField(_("gateway details"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.CREATED
    )
    created_at = models.DateTimeField(_("started"), auto_now_add=True, db_index=True)
    status_changed_at = models.DateTimeField(_("status changed"), auto_now_add=True)
    settled_at = models.DateTimeField(_("paid"), null=True, blank=True, db_index=True)
    refunded_amount = models.BigIntegerField(_("refunded (minor units)"), default=0)
    # Kept to pay a fee (a late cancellation) instead of being refunded.
    retained_amount = models.BigIntegerField(_("kept for fees (minor units)"), default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(status__in=OPEN_STATUSES),
                name="payment_one_open_per_order",
            ),
            models.UniqueConstraint(
                fields=["gateway", "gateway_reference"],
                condition=Q(gateway_reference__isnull=False),
                name="payment_gateway_reference_once",
            ),
            models.CheckConstraint(
                condition=Q(amount=F("order_amount") + F("fees_amount"))
                & Q(amount=F("wallet_amount") + F("gateway_amount"))
                & Q(amount__gt=0, wallet_amount__gte=0, gateway_amount__gte=0, fees_amount__gte=0),
                name="payment_parts_add_up",
            ),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0, retained_amount__gte=0)
                & Q(amount__gte=F("refunded_amount") + F("retained_amount")),
                name="payment_refund_not_above_paid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=PaymentStatus.values), name="payment_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=PaymentStatus.SUCCEEDED) | Q(settled_at__isnull=False),
                name="payment_paid_has_time",
            ),
        ]
        indexes = [models.Index(fields=["status", "status_changed_at"])]

    def __str__(self):
        return self.reference

    @property
    def refundable_amount(self) -> int:
        if self.status != PaymentStatus.SUCCEEDED:
            return 0
        return self.amount - self.refunded_amount - self.retained_amount


class PaymentEvent(StatusEvent):
    subject_field = "payment"
    statuses = PaymentStatus

    payment = foreign_key(Payment, _("payment"), related_name="events", on_delete=models.CASCADE)

    class Meta(StatusEvent.Meta):
        verbose_name = _("payment event")
        verbose_name_plural = _("payment events")


class RefundDestination(models.TextChoices):
    GATEWAY = "gateway", _("Back to the card")
    WALLET = "wallet", _("To the wallet")


class RefundStatus(models.TextChoices):
    PENDING = "pending", _("Sent to the gateway")
    SUCCEEDED = "succeeded", _("Refunded")
    FAILED = "failed", _("Failed")


class Refund(models.Model):
    payment = foreign_key(Payment, _("payment"), related_name="refunds")
    amount = models.BigIntegerField(_("amount (minor units)"))
    currency = models.CharField(_("currency"), max_length=3)
    destination = models.CharField(
        _("refunded to"), max_length=10, choices=RefundDestination.choices
    )
    status = models.CharField(
        _("status"), max_length=10, choices=RefundStatus.choices, default=RefundStatus.PENDING
    )
    reason = models.CharField(_("reason"), max_length=300)
    created_by = user_reference(_("by"), optional=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    gateway_reference = models.CharField(_("gateway reference"), max_length=100, blank=True)
    # One refund per cause (a cancellation, a ticket): a retried request refunds once.
    idempotency_key = models.CharField(
        _("idempotency key"), max_length=100, null=True, blank=True, unique=True
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        permissions = [("refund_payment", _("Can refund a payment"))]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_above_zero"),
        ]

    def __str__(self):
        return f"{self.payment} -{self.amount}"


class ReceiptKind(models.TextChoices):
    PAYMENT = "payment", _("Payment")
    REFUND = "refund", _("Refund")


class ReceiptCounter(models.Model):
    """The last receipt number of a year; its row is locked while a receipt is numbered, so the
    numbers have no gaps and no repeats (a rolled-back receipt rolls its number back too)."""

    year = models.PositiveSmallIntegerField(_("year"), primary_key=True)
    last_number = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("receipt counter")
        verbose_name_plural = _("receipt counters")

    def __str__(self):
        return f"{self.year}: {self.last_number}"


class Receipt(models.Model):
    year = models.PositiveSmallIntegerField(_("year"))
    number = models.PositiveIntegerField(_("number"))
    kind = models.CharField(_("kind"), max_length=10, choices=ReceiptKind.choices)
    payment = models.OneToOneField(
        Payment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="receipt",
        verbose_name=_("payment"),
    )
    refund = models.OneToOneField(
        Refund,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="receipt",
        verbose_name=_("refund"),
    )
    customer = user_reference(_("customer"), related_name="receipts")
    amount = models.BigIntegerField(_("amount (minor units)"))
    currency = models.CharField(_("currency"), max_length=3)
    # Written in the customer's language at the time it was issued.
    language = models.CharField(_("language"), max_length=10)
    issued_at = models.DateTimeField(_("issued"), auto_now_add=True)

    class Meta:
        ordering = ["-year", "-number"]
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        constraints = [
            models.UniqueConstraint(fields=["year", "number"], name="receipt_number_once"),
            models.CheckConstraint(
                condition=(Q(kind="payment", payment__isnull=False, refund__isnull=True))
                | Q(kind="refund", refund__isnull=False, payment__isnull=True),
                name="receipt_of_one_thing",
            ),
        ]

    def __str__(self):
        return self.display_number

    @property
    def display_number(self) -> str:
        return f"{self.year}-{self.number:06d}"


class SandboxCharge(models.Model):
    """The sandbox gateway's own book: what its card page charged. It stands for the gateway's
    side of the world, so our payments are settled from what it reports, never from here
    directly."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        PAID = "paid", _("Paid")
        DECLINED = "declined", _("Declined")
        REFUNDED = "refunded", _("Refunded")

    charge_id = models.CharField(_("charge id"), max_length=40, unique=True)
    merchant_reference = models.CharField(_("merchant reference"), max_length=32)
    amount = models.BigIntegerField(_("amount (minor units)"))
    currency = models.CharField(_("currency"), max_length=3)
    return_url = models.CharField(_("return address"), max_length=500)
    callback_url = models.CharField(_("callback address"), max_length=500)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    card_last4 = models.CharField(_("card"), max_length=4, blank=True)
    refunded_amount = models.BigIntegerField(_("refunded (minor units)"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("sandbox charge")
        verbose_name_plural = _("sandbox charges")

    def __str__(self):
        return self.charge_id
