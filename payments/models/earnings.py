"""Providers' earnings (R-PAY-4): the commission table (versioned like the price book), what
each completed job earned, the provider's bank account, and payout runs.

Money itself lives in the ledger: a completed job is one journal entry (the customer's orders
account -price, the provider's earnings +share, the platform's revenue +commission); an
`EarningRecord` keeps beside it which commission version and percent applied, so a statement
can show price, commission and share per job. A payout run lists, per provider, what the bank
is told to send; marking it paid posts one entry per payout (earnings -X, payouts +X).
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import StatusEvent
from core.models.fields import reference, user_reference
from ledger.money import from_minor
from providers.models import Provider, ProviderTier


class CommissionLocked(ValidationError):
    """A published commission table, or one of its rules, was about to change."""


class CommissionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class CommissionTableQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=CommissionStatus.PUBLISHED)

    def current(self, at=None):
        """The version in force: the latest published one whose valid_from has come."""
        at = at or timezone.now()
        return (
            self.published().filter(valid_from__lte=at).order_by("-valid_from", "-number").first()
        )


class CommissionTable(models.Model):
    """One version of the platform's commission. Only staff change it
    (payments.services.earnings); a published version never changes."""

    number = models.PositiveIntegerField(_("version"), unique=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=CommissionStatus.choices,
        default=CommissionStatus.DRAFT,
        editable=False,
    )
    valid_from = models.DateTimeField(
        _("valid from"),
        default=timezone.now,
        help_text=_("Jobs completed from then on are charged with it."),
    )
    note = models.TextField(_("note"), blank=True)
    created_by = user_reference(_("created by"), optional=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    copied_from = reference("self", _("copied from"), optional=True, editable=False)
    published_at = models.DateTimeField(_("published"), null=True, blank=True, editable=False)
    published_by = user_reference(_("published by"), optional=True, editable=False)

    objects = CommissionTableQuerySet.as_manager()

    class Meta:
        ordering = ["-number"]
        verbose_name = _("commission table version")
        verbose_name_plural = _("commission table versions")
        permissions = [("publish_commissiontable", _("Can publish a commission table version"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(status=CommissionStatus.DRAFT)
                | Q(published_at__isnull=False, published_by__isnull=False),
                name="commission_published_has_who_and_when",
            ),
            models.CheckConstraint(
                condition=Q(status__in=CommissionStatus.values), name="commission_status_valid"
            ),
        ]

    def __str__(self):
        return _("Commission v%(number)s") % {"number": self.number}

    def save(self, *args, **kwargs):
        if self._stored_status() == CommissionStatus.PUBLISHED:
            raise CommissionLocked(
                _("Commission v%(number)s is published and cannot change; make a new version.")
                % {"number": self.number}
            )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self._stored_status() == CommissionStatus.PUBLISHED:
            raise CommissionLocked(
                _("Commission v%(number)s is published and cannot be deleted.")
                % {"number": self.number}
            )
        return super().delete(*args, **kwargs)

    @property
    def is_published(self) -> bool:
        return self.status == CommissionStatus.PUBLISHED

    def _stored_status(self):
        if self.pk is None:
            return None
        return type(self).objects.filter(pk=self.pk).values_list("status", flat=True).first()


PERCENT = {
    "max_digits": 5,
    "decimal_places": 2,
    "validators": [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
}


class CommissionRule(models.Model):
    """The platform's percent of a job's price, for a service and/or a provider tier; empty
    means any. The most specific rule that matches wins: service and tier, then service, then
    tier, then the default (both empty), which every published version has."""

    table = reference(
        CommissionTable, _("commission table"), related_name="rules", on_delete=models.CASCADE
    )
    service_type = reference(
        "orders.ServiceType",
        _("service"),
        optional=True,
        help_text=_("Empty: every service."),
    )
    tier = models.CharField(
        _("provider tier"),
        max_length=20,
        choices=ProviderTier.choices,
        blank=True,
        help_text=_("Empty: every tier."),
    )
    percent = models.DecimalField(
        _("commission (%)"), help_text=_("From 0 to 100, e.g. 20.00"), **PERCENT
    )

    class Meta:
        ordering = ["table", "service_type_id", "tier"]
        verbose_name = _("commission rule")
        verbose_name_plural = _("commission rules")
        constraints = [
            models.UniqueConstraint(
                fields=["table", "service_type", "tier"],
                nulls_distinct=False,
                name="commission_rule_once",
                violation_error_message=_(
                    "This version already has a rule for this service and tier."
                ),
            ),
            models.CheckConstraint(
                condition=Q(percent__gte=0, percent__lte=100), name="commission_percent_0_100"
            ),
        ]

    def __str__(self):
        return f"{self.scope_label}: {self.percent}%"

    def save(self, *args, **kwargs):
        stored = type(self).objects.filter(pk=self.pk).values_list("table_id", flat=True).first()
        if self._table_is_published() or (
            stored
            and CommissionTable.objects.filter(
                pk=stored, status=CommissionStatus.PUBLISHED
            ).exists()
        ):
            raise CommissionLocked(
                _("This commission version is published and cannot change; make a new version.")
            )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self._table_is_published():
            raise CommissionLocked(
                _("This commission version is published and cannot change; make a new version.")
            )
        return super().delete(*args, **kwargs)

    @property
    def scope_label(self) -> str:
        service = str(self.service_type) if self.service_type_id else _("every service")
        tier = self.get_tier_display() if self.tier else _("every tier")
        return f"{service} / {tier}"

    @property
    def specificity(self) -> int:
        return (2 if self.service_type_id else 0) + (1 if self.tier else 0)

    def _table_is_published(self) -> bool:
        return CommissionTable.objects.filter(
            pk=self.table_id, status=CommissionStatus.PUBLISHED
        ).exists()


class EarningRecord(models.Model):
    """What one completed job earned and why: the price, the commission version and percent
    applied, and the provider's share, next to the journal entry that moved the money. Written
    once, with the entry, never changed (a correction is a reversing entry in the ledger)."""

    order = models.OneToOneField(
        "orders.Order",
        on_delete=models.PROTECT,
        related_name="earning",
        verbose_name=_("order"),
    )
    provider = reference(Provider, _("provider"), related_name="earnings")
    entry = models.OneToOneField(
        "ledger.JournalEntry",
        on_delete=models.PROTECT,
        related_name="earning",
        verbose_name=_("journal entry"),
    )
    commission_table = reference(CommissionTable, _("commission version"), optional=True)
    percent = models.DecimalField(_("commission (%)"), **PERCENT)
    currency = models.CharField(_("currency"), max_length=3)
    price = models.BigIntegerField(_("price (minor units)"))
    commission = models.BigIntegerField(_("commission (minor units)"))
    share = models.BigIntegerField(_("provider's share (minor units)"))
    created_at = models.DateTimeField(_("charged"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("job earning")
        verbose_name_plural = _("job earnings")
        constraints = [
            models.CheckConstraint(
                condition=Q(price=F("commission") + F("share"))
                & Q(commission__gte=0, share__gte=0),
                name="earning_parts_add_up",
            ),
        ]

    def __str__(self):
        return _("Earning for order #%(number)s") % {"number": self.order_id}

    @property
    def price_major(self) -> Decimal:
        return from_minor(self.price, self.currency)

    @property
    def commission_major(self) -> Decimal:
        return from_minor(self.commission, self.currency)

    @property
    def share_major(self) -> Decimal:
        return from_minor(self.share, self.currency)


class PayoutAccount(models.Model):
    """Where a provider's money goes: an IBAN (checked by its checksum) and its holder."""

    provider = models.OneToOneField(
        Provider,
        on_delete=models.CASCADE,
        related_name="payout_account",
        verbose_name=_("provider"),
    )
    iban = models.CharField(_("IBAN"), max_length=34)
    holder_name = models.CharField(_("account holder"), max_length=150)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("payout bank account")
        verbose_name_plural = _("payout bank accounts")

    def __str__(self):
        return f"{self.holder_name} ({self.iban})"


class PayoutRunStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    EXPORTED = "exported", _("Bank file downloaded")
    PAID = "paid", _("Paid")
    CANCELLED = "cancelled", _("Cancelled")


UNPAID_RUN_STATUSES = (PayoutRunStatus.DRAFT, PayoutRunStatus.EXPORTED)


class PayoutRun(models.Model):
    """Paying providers what they were owed at the end of a period: one `Payout` per provider
    with a positive balance and a valid IBAN, exported as a bank-transfer file, then marked
    paid (payments.services.payouts)."""

    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to (inclusive)"))
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=PayoutRunStatus.choices,
        default=PayoutRunStatus.DRAFT,
        editable=False,
    )
    created_by = user_reference(_("created by"), optional=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    status_changed_at = models.DateTimeField(_("status changed"), auto_now_add=True)
    total = models.BigIntegerField(_("total (minor units)"), default=0, editable=False)

    class Meta:
        ordering = ["-period_end", "-id"]
        verbose_name = _("payout run")
        verbose_name_plural = _("payout runs")
        permissions = [("run_payouts", _("Can build, export and mark payout runs paid"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="payout_run_period_order"
            ),
            models.CheckConstraint(
                condition=Q(status__in=PayoutRunStatus.values), name="payout_run_status_valid"
            ),
        ]

    def __str__(self):
        return _("Payout run #%(number)s (%(start)s to %(end)s)") % {
            "number": self.pk,
            "start": self.period_start,
            "end": self.period_end,
        }


class PayoutRunEvent(StatusEvent):
    subject_field = "run"
    statuses = PayoutRunStatus

    run = reference(PayoutRun, _("payout run"), related_name="events", on_delete=models.CASCADE)

    class Meta(StatusEvent.Meta):
        verbose_name = _("payout run event")
        verbose_name_plural = _("payout run events")


class Payout(models.Model):
    """One transfer of a run: the amount and the bank account as they were when the run was
    built; `entry` is the ledger entry posted when the run was marked paid."""

    run = reference(PayoutRun, _("payout run"), related_name="payouts", on_delete=models.CASCADE)
    provider = reference(Provider, _("provider"), related_name="payouts")
    amount = models.BigIntegerField(_("amount (minor units)"))
    currency = models.CharField(_("currency"), max_length=3)
    iban = models.CharField(_("IBAN"), max_length=34)
    holder_name = models.CharField(_("account holder"), max_length=150)
    entry = models.OneToOneField(
        "ledger.JournalEntry",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payout",
        verbose_name=_("journal entry"),
    )

    class Meta:
        ordering = ["run", "id"]
        verbose_name = _("payout")
        verbose_name_plural = _("payouts")
        constraints = [
            models.UniqueConstraint(fields=["run", "provider"], name="payout_once_per_run"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payout_above_zero"),
        ]

    def __str__(self):
        return self.reference

    @property
    def reference(self) -> str:
        """What the bank transfer says, so the provider and the bank can match it."""
        return f"payout-{self.pk}"


class SkipReason(models.TextChoices):
    NO_ACCOUNT = "no_account", _("No bank account given")
    INVALID_IBAN = "invalid_iban", _("The IBAN given is not valid")
    CARRIED_OVER = "carried_over", _("Negative balance: carried over to the next period")
    IN_OTHER_RUN = "in_other_run", _("Already in an unpaid run for an overlapping period")


class PayoutSkip(models.Model):
    """A provider left out of a run, and why (no bank account, a balance carried over)."""

    run = reference(PayoutRun, _("payout run"), related_name="skips", on_delete=models.CASCADE)
    provider = reference(Provider, _("provider"))
    balance = models.BigIntegerField(_("balance (minor units)"))
    reason = models.CharField(_("reason"), max_length=20, choices=SkipReason.choices)
    other_run = reference(PayoutRun, _("other run"), optional=True)

    class Meta:
        ordering = ["run", "id"]
        verbose_name = _("provider left out")
        verbose_name_plural = _("providers left out")

    def __str__(self):
        return f"{self.provider}: {self.get_reason_display()}"
