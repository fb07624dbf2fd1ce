"""Providers' earnings (R-PAY-4): the versioned commission table, charging a completed job,
and the provider's bank account for payouts.

A completed job is one journal entry (`charge_completed_job`, heard from
`orders.signals.order_completed` inside the completing transaction): the customer's orders
account -price, the provider's earnings +share, the platform's revenue +commission. The
commission is taken from the version in force when the job was completed and rounded down to
a whole minor unit, so any fraction goes to the provider. An `EarningRecord` keeps the version
and percent beside the entry; a later version never changes a job already charged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from stdnum import iban as stdnum_iban
from stdnum.exceptions import InvalidComponent, InvalidFormat, InvalidLength
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.iso7064 import mod_97_10

from ledger.models import AccountKind, Cause
from ledger.money import to_minor
from ledger.services.posting import Leg, platform, post_entry

from ..models import (
    CommissionRule,
    CommissionStatus,
    CommissionTable,
    EarningRecord,
    PayoutAccount,
)
from .accounts import earnings_account, job_charge_key, orders_account

PUBLISH_PERMISSION = "payments.publish_commissiontable"
EDIT_PERMISSION = "payments.add_commissiontable"

JOB_MEMO = gettext_noop("Job completed")


class CommissionError(ValidationError):
    """A commission table change was refused; the message is for the operator."""


class BankAccountError(ValidationError):
    """The bank account given cannot receive payouts; the message says why."""


# --- The commission table -------------------------------------------------------------------


def _next_number() -> int:
    return (CommissionTable.objects.aggregate(top=Max("number"))["top"] or 0) + 1


@transaction.atomic
def copy_commission_table(*, source: CommissionTable, actor, note: str = "") -> CommissionTable:
    """A new draft version holding a copy of every rule of `source`."""
    if actor is None or not actor.has_perm(EDIT_PERMISSION):
        raise CommissionError(_("You may not change the commission table."))
    CommissionTable.objects.select_for_update().filter(pk=source.pk).first()
    draft = CommissionTable.objects.create(
        number=_next_number(),
        valid_from=timezone.now(),
        note=note or _("Copied from version %(number)s") % {"number": source.number},
        created_by=actor,
        copied_from=source,
    )
    CommissionRule.objects.bulk_create(
        [
            CommissionRule(
                table=draft,
                service_type_id=rule.service_type_id,
                tier=rule.tier,
                percent=rule.percent,
            )
            for rule in source.rules.all()
        ]
    )
    return draft


@transaction.atomic
def publish_commission_table(*, table: CommissionTable, actor) -> CommissionTable:
    """Publish a draft: it is in force from its valid_from (now at the earliest) and never
    changes again. It needs a default rule (every service, every tier), so every job finds one."""
    if actor is None or not actor.has_perm(PUBLISH_PERMISSION):
        raise CommissionError(_("You may not publish the commission table."))
    table = CommissionTable.objects.select_for_update().get(pk=table.pk)
    if table.status != CommissionStatus.DRAFT:
        raise CommissionError(
            _("Version %(number)s is already published.") % {"number": table.number}
        )
    rules = list(table.rules.all())
    if not any(rule.service_type_id is None and not rule.tier for rule in rules):
        raise CommissionError(
            _(
                "Add a default rule (no service, no tier) before publishing: "
                "it applies to every job no other rule matches."
            )
        )
    problems = []
    for rule in rules:
        try:
            rule.full_clean(exclude=["table"])
        except ValidationError as exc:
            problems.append(f"{rule.scope_label}: {'; '.join(exc.messages)}")
    if problems:
        raise CommissionError(problems)
    now = timezone.now()
    latest = (
        CommissionTable.objects.published()
        .order_by("-valid_from")
        .values_list("valid_from", flat=True)
        .first()
    )
    valid_from = max(table.valid_from, now)
    if latest is not None and valid_from < latest:
        raise CommissionError(
            _("A newer version is already published from %(date)s; choose a later start.")
            % {"date": timezone.localtime(latest).strftime("%Y-%m-%d %H:%M")}
        )
    table.valid_from = valid_from
    table.status = CommissionStatus.PUBLISHED
    table.published_at = now
    table.published_by = actor
    table.save(update_fields=["valid_from", "status", "published_at", "published_by"])
    return table


@dataclass(frozen=True)
class AppliedCommission:
    table: CommissionTable | None
    percent: Decimal


def commission_for(*, service_type_id: int, tier: str, at=None) -> AppliedCommission:
    """The percent the platform keeps of a job: the most specific rule of the version in force
    at `at` (service and tier, then service, then tier, then the default). Without any
    published version the platform keeps nothing."""
    table = CommissionTable.objects.current(at)
    if table is None:
        return AppliedCommission(None, Decimal("0"))
    matching = [
        rule
        for rule in table.rules.all()
        if rule.service_type_id in (None, service_type_id) and rule.tier in ("", tier)
    ]
    if not matching:
        return AppliedCommission(table, Decimal("0"))
    best = max(matching, key=lambda rule: rule.specificity)
    return AppliedCommission(table, best.percent)


def split_price(price: int, percent: Decimal) -> tuple[int, int]:
    """(commission, share) in minor units: the commission rounded down, so the provider gets
    any fraction of a minor unit."""
    commission = int((Decimal(price) * percent / 100).to_integral_value(rounding=ROUND_FLOOR))
    return commission, price - commission


# --- Charging a completed job ---------------------------------------------------------------


@transaction.atomic
def charge_completed_job(*, order) -> EarningRecord | None:
    """Charge the customer for a completed job and share it out, once: the customer's orders
    account -price, the provider's earnings +share, revenue +commission (zero legs left out).
    A free job posts nothing. Charging again returns what the first charge recorded."""
    existing = EarningRecord.objects.filter(order_id=order.pk).first()
    if existing is not None:
        return existing
    if not order.price or order.provider_id is None:
        return None
    provider = order.provider
    currency = order.currency
    price = to_minor(order.price, currency)
    applied = commission_for(
        service_type_id=order.service_type_id,
        tier=provider.tier,
        at=order.completed_at or timezone.now(),
    )
    commission, share = split_price(price, applied.percent)
    legs = [Leg(orders_account(order.customer, currency), -price)]
    if share:
        legs.append(Leg(earnings_account(provider.user, currency), share))
    if commission:
        legs.append(Leg(platform(AccountKind.REVENUE, currency), commission))
    entry = post_entry(
        legs=legs,
        memo=JOB_MEMO,
        cause=Cause.ORDER,
        cause_id=order.pk,
        idempotency_key=job_charge_key(order.pk),
    )
    record, _created = EarningRecord.objects.get_or_create(
        order_id=order.pk,
        defaults={
            "provider": provider,
            "entry": entry,
            "commission_table": applied.table,
            "percent": applied.percent,
            "currency": currency,
            "price": price,
            "commission": commission,
            "share": share,
        },
    )
    return record


# --- The provider's bank account ------------------------------------------------------------


# Countries whose IBANs python-stdnum's registry (SWIFT's) does not list, with their length:
# Iran's Sheba numbers are IBANs (ISO 13616, IR + 2 check digits + 22 digits) used by every
# Iranian bank, but Iran is not in SWIFT's registry.
UNLISTED_IBAN_LENGTHS = {"IR": 26}
IBAN_SHAPE = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{8,30}$")


def clean_iban(value: str) -> str:
    """The IBAN in its compact form (upper case, no spaces), or a translated refusal: its
    shape, the ISO 7064 mod 97-10 checksum, and the country's length and format
    (python-stdnum)."""
    compact = stdnum_iban.compact(value or "")
    if not compact:
        raise BankAccountError(_("Enter your IBAN."), code="required")
    if not IBAN_SHAPE.match(compact):
        raise BankAccountError(
            _("This is not a valid IBAN: it starts with a country code, e.g. IR or DE."),
            code="iban_format",
        )
    if not mod_97_10.is_valid(compact[4:] + compact[:4]):
        raise BankAccountError(
            _("This IBAN's check digits do not match: please check it for a typing mistake."),
            code="iban_checksum",
        )
    length = UNLISTED_IBAN_LENGTHS.get(compact[:2])
    if length is not None:
        if len(compact) != length or not compact.isalnum() or not compact[4:].isdigit():
            raise BankAccountError(
                _("This IBAN has the wrong number of characters for its country."),
                code="iban_length",
            )
        return compact
    try:
        return stdnum_iban.validate(compact)
    except InvalidComponent:
        raise BankAccountError(
            _("We cannot pay to a bank account in this country."), code="iban_country"
        ) from None
    except (InvalidLength, InvalidFormat):
        raise BankAccountError(
            _("This IBAN has the wrong number of characters for its country."),
            code="iban_length",
        ) from None
    except StdnumError:
        raise BankAccountError(
            _("This is not a valid IBAN: it starts with a country code, e.g. IR or DE."),
            code="iban_format",
        ) from None


def iban_is_valid(value: str) -> bool:
    try:
        clean_iban(value)
    except BankAccountError:
        return False
    return True


@transaction.atomic
def save_payout_account(*, provider, iban: str, holder_name: str) -> PayoutAccount:
    """Set where the provider's payouts go; the IBAN is checked before anything is saved."""
    errors = {}
    try:
        iban = clean_iban(iban)
    except BankAccountError as exc:
        errors["iban"] = exc.messages
    holder_name = " ".join((holder_name or "").split())
    if not holder_name:
        errors["holder_name"] = [_("Enter the name the bank account is held in.")]
    if errors:
        raise BankAccountError(errors)
    account, _created = PayoutAccount.objects.update_or_create(
        provider=provider, defaults={"iban": iban, "holder_name": holder_name}
    )
    return account
