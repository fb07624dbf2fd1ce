"""Accounts, journal entries and their lines (R-PAY-1).

Amounts are integers in the currency's minor units (ledger/money.py). An account's balance is
the sum of its lines, seen from its holder: a customer's wallet at +1,000 holds 1,000 of credit;
a provider's earnings at +1,000 are owed to the provider. Every entry's lines sum to zero per
currency, so the platform's own accounts mirror what holders have: compensation paid out sits
at -1,000 on the platform's compensation account. The database refuses an unbalanced entry and
any change or deletion of an entry or a line (triggers in migration 0001); a correction is a
reversing entry.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models.fields import reference, user_reference


class AccountKind(models.TextChoices):
    CUSTOMER_WALLET = "customer_wallet", _("Customer wallet")
    # Fees a customer owes (a late cancellation), collected at the next payment.
    CUSTOMER_DUE = "customer_due", _("Owed by the customer")
    # What a customer paid for jobs not done yet (positive), or owes for jobs done (negative).
    CUSTOMER_ORDERS = "customer_orders", _("Customer's orders (paid ahead or owed)")
    PROVIDER_EARNINGS = "provider_earnings", _("Provider earnings payable")
    # The platform's own accounts: one per kind and currency.
    REVENUE = "revenue", _("Platform revenue (commission and fees)")
    GATEWAY_CLEARING = "gateway_clearing", _("Payment gateway clearing")
    REFUNDS = "refunds", _("Refunds")
    COMPENSATION = "compensation", _("Compensation and credits granted")
    FINES = "fines", _("Fines received")
    BONUSES = "bonuses", _("Bonuses paid")
    PAYOUTS = "payouts", _("Payouts sent to banks")


HELD_KINDS = (
    AccountKind.CUSTOMER_WALLET,
    AccountKind.CUSTOMER_DUE,
    AccountKind.CUSTOMER_ORDERS,
    AccountKind.PROVIDER_EARNINGS,
)


class LedgerAccount(models.Model):
    kind = models.CharField(_("kind"), max_length=32, choices=AccountKind.choices)
    holder = user_reference(_("holder"), optional=True, related_name="ledger_accounts")
    currency = models.CharField(_("currency"), max_length=3)
    created_at = models.DateTimeField(_("opened"), auto_now_add=True)

    class Meta:
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")
        ordering = ["kind", "currency", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "holder", "currency"], name="ledger_one_account_per_holder"
            ),
            models.UniqueConstraint(
                fields=["kind", "currency"],
                condition=Q(holder__isnull=True),
                name="ledger_one_platform_account",
            ),
            # A wallet or earnings account has a holder; the platform's accounts have none.
            models.CheckConstraint(
                condition=Q(kind__in=HELD_KINDS, holder__isnull=False)
                | (~Q(kind__in=HELD_KINDS) & Q(holder__isnull=True)),
                name="ledger_holder_matches_kind",
            ),
        ]

    def __str__(self):
        who = f" {self.holder}" if self.holder_id else ""
        return f"{self.get_kind_display()}{who} ({self.currency})"


class Cause(models.TextChoices):
    """What an entry is about; with `cause_id`, the record it came from."""

    ORDER = "order", _("Order")
    GUARANTEE_CLAIM = "guarantee_claim", _("Guarantee claim")
    TICKET = "ticket", _("Support ticket")
    KPI_PERIOD = "kpi_period", _("KPI period")
    PAYOUT = "payout", _("Payout")
    PAYMENT = "payment", _("Payment")
    ADJUSTMENT = "adjustment", _("Manual adjustment")
    CORRECTION = "correction", _("Correction")
    CARRIED_OVER = "carried_over", _("Balance carried over from before the ledger")


class JournalEntry(models.Model):
    created_at = models.DateTimeField(_("posted"), auto_now_add=True, db_index=True)
    created_by = user_reference(_("by"), optional=True)
    memo = models.CharField(_("reason"), max_length=300)
    cause = models.CharField(_("cause"), max_length=32, choices=Cause.choices)
    cause_id = models.BigIntegerField(_("cause record"), null=True, blank=True)
    # Posting the same thing twice (a retried task, a repeated callback) posts it once.
    idempotency_key = models.CharField(
        _("idempotency key"), max_length=100, null=True, blank=True, unique=True
    )
    reverses = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
        verbose_name=_("reverses"),
    )

    class Meta:
        verbose_name = _("journal entry")
        verbose_name_plural = _("journal entries")
        ordering = ["-created_at", "-id"]
        permissions = [("reverse_journalentry", _("Can reverse a journal entry"))]
        indexes = [models.Index(fields=["cause", "cause_id"], name="ledger_entry_cause")]

    def __str__(self):
        return f"#{self.pk} {self.memo}"


class JournalLine(models.Model):
    entry = reference(JournalEntry, _("entry"), related_name="lines")
    account = reference(LedgerAccount, _("account"), related_name="lines")
    amount = models.BigIntegerField(_("amount (minor units)"))
    currency = models.CharField(_("currency"), max_length=3)

    class Meta:
        verbose_name = _("journal line")
        verbose_name_plural = _("journal lines")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="ledger_line_not_zero"),
        ]
        indexes = [models.Index(fields=["account", "entry"], name="ledger_line_account")]

    def __str__(self):
        return f"{self.account}: {self.amount} {self.currency}"
