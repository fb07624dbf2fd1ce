"""Quotes are computed here and only here, on the server, from the current price book (R-ORD-2).

A quote's price is a list of lines, each rounded to whole currency units, and their sum:

    base        base price + rate x quantity (m² of the home, or hours), at least the minimum
    difficulty  base x (difficulty multiplier - 1)        (light is a discount, heavy a surcharge)
    tier        (base + difficulty) x (tier multiplier - 1)   (the provider's qualification)
    option      each chosen option's price in the price book

The job's length: minutes per m² x area (bounded by the service's shortest and longest job), or
the hours booked (which must lie within those bounds); options add their extra minutes; the whole
is rounded up to half-hour slots.
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from providers.models import ProviderTier

from . import catalogue_cache
from .models import (
    Difficulty,
    PriceBook,
    PriceLine,
    PriceRule,
    PricingUnit,
    ServiceOption,
    ServiceType,
)
from .models.pricebook import choice_label

SLOT_MINUTES = 30
WHOLE_UNIT = Decimal("1")


class PricingError(ValidationError):
    """The request cannot be priced; messages are keyed by field for forms and the API."""


def _round(amount: Decimal) -> Decimal:
    return amount.quantize(WHOLE_UNIT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Quote:
    service_type: ServiceType
    price_book: PriceBook
    home_area_sqm: int | None
    hours: int | None
    difficulty: str
    tier: str
    options: tuple[ServiceOption, ...]
    lines: tuple[PriceLine, ...]
    price: Decimal
    currency: str
    duration: timedelta
    option_prices: dict = field(default_factory=dict)  # option pk -> price

    @property
    def minutes(self) -> int:
        return int(self.duration.total_seconds() // 60)

    @property
    def difficulty_label(self) -> str:
        return choice_label(Difficulty, self.difficulty)

    def lines_json(self) -> list[dict]:
        return [line.to_json() for line in self.lines]


def current_price_book() -> PriceBook | None:
    return PriceBook.objects.current()


def rule_for(service_type: ServiceType, price_book: PriceBook | None = None) -> PriceRule:
    """The service's rule in `price_book` (default: the current version); PricingError if none."""
    if price_book is not None:
        rule = (
            PriceRule.objects.filter(service_type=service_type, price_book=price_book)
            .select_related("price_book")
            .first()
        )
    else:
        rule = catalogue_cache.current().rule(service_type)
    if rule is None:
        raise PricingError(
            {"service_type": _("This service has no price at the moment; please call us.")}
        )
    return rule


def pricing_units() -> dict[int, str]:
    """Service type id -> how it is priced now (per_sqm or per_hour), for forms."""
    book = current_price_book()
    if book is None:
        return {}
    return dict(book.rules.values_list("service_type_id", "unit"))


def _price_lines(
    *,
    rule: PriceRule,
    quantity: int,
    difficulty: str,
    tier: str,
    option_lines: Iterable[PriceLine],
) -> list[PriceLine]:
    work = rule.base_price + rule.rate * Decimal(quantity)
    lines = []
    if work < rule.minimum_price:
        lines.append(PriceLine(kind="minimum", amount=_round(rule.minimum_price)))
    else:
        lines.append(PriceLine(kind="base", amount=_round(work), quantity=quantity, unit=rule.unit))
    base = lines[0].amount
    d = rule.difficulty_multiplier(difficulty)
    if d != 1:
        lines.append(
            PriceLine(
                kind="difficulty", amount=_round(base * (d - 1)), code=difficulty, multiplier=d
            )
        )
    t = rule.tier_multiplier(tier)
    if t != 1:
        subtotal = sum((line.amount for line in lines), Decimal("0"))
        lines.append(
            PriceLine(kind="tier", amount=_round(subtotal * (t - 1)), code=tier, multiplier=t)
        )
    lines.extend(option_lines)
    return lines


def quote_for(
    *,
    service_type: ServiceType,
    home_area_sqm: int | None = None,
    hours: int | None = None,
    options: Sequence[ServiceOption] = (),
    difficulty: str = Difficulty.NORMAL,
    tier: str | None = None,
    price_book: PriceBook | None = None,
) -> Quote:
    """Price and length of a job from the current price book (or `price_book`).

    `tier` defaults to the service's minimum tier: orders are priced at the base tier and
    `price_for_tier` tells what a more qualified provider would cost. Raises PricingError.
    """
    rule = rule_for(service_type, price_book)
    errors = {}
    if difficulty not in Difficulty.values:
        errors["difficulty"] = _("Choose the condition of the home.")
    tier = tier or service_type.minimum_tier
    if tier not in ProviderTier.values:
        errors["tier"] = _("Unknown qualification tier.")
    options = list(dict.fromkeys(options))  # the same option twice counts once
    option_lines, option_prices = [], {}
    for option in options:
        price = rule.option_price(option.code)
        if option.service_type_id != service_type.pk or not option.is_active:
            errors["options"] = _("“%(option)s” cannot be added to this service.") % {
                "option": option.name
            }
        elif price is None:
            errors["options"] = _("“%(option)s” has no price at the moment.") % {
                "option": option.name
            }
        else:
            option_prices[option.pk] = _round(price)
            option_lines.append(
                PriceLine(kind="option", amount=_round(price), code=option.code, name=option.name)
            )
    if rule.unit == PricingUnit.PER_HOUR:
        quantity = hours
        low, high = service_type.minimum_minutes, service_type.maximum_minutes
        if not hours or hours <= 0:
            errors["hours"] = _("Enter the number of hours.")
        elif not low <= hours * 60 <= high:
            errors["hours"] = _("Book from %(low)s to %(high)s hours.") % {
                "low": math.ceil(low / 60),
                "high": high // 60,
            }
        minutes = (hours or 0) * 60
    else:
        quantity = home_area_sqm
        if not home_area_sqm or home_area_sqm <= 0:
            errors["home_area_sqm"] = _("Enter the home area in square metres.")
        minutes = float(rule.minutes_per_sqm * Decimal(home_area_sqm or 0))
        minutes = min(max(minutes, service_type.minimum_minutes), service_type.maximum_minutes)
    if errors:
        raise PricingError(errors)
    lines = _price_lines(
        rule=rule, quantity=quantity, difficulty=difficulty, tier=tier, option_lines=option_lines
    )
    minutes += sum(option.extra_minutes for option in options)
    # Jobs take whole half-hour slots.
    minutes = math.ceil(minutes / SLOT_MINUTES) * SLOT_MINUTES
    return Quote(
        service_type=service_type,
        price_book=rule.price_book,
        home_area_sqm=home_area_sqm,
        hours=hours if rule.unit == PricingUnit.PER_HOUR else None,
        difficulty=difficulty,
        tier=tier,
        options=tuple(options),
        lines=tuple(lines),
        price=sum((line.amount for line in lines), Decimal("0")),
        currency=settings.CURRENCY,
        duration=timedelta(minutes=minutes),
        option_prices=option_prices,
    )


def _repricing(order):
    """What repricing `order` for a tier needs, read once: its rule in the order's own price
    book version, its quantity and its options at their booked prices."""
    rule = rule_for(order.service_type, order.price_book)
    quantity = order.hours if rule.unit == PricingUnit.PER_HOUR else order.home_area_sqm
    option_lines = [
        PriceLine(kind="option", amount=chosen.price, code=chosen.option.code, name=chosen.name)
        for chosen in order.options.select_related("option")
    ]
    return partial(
        _price_lines,
        rule=rule,
        quantity=quantity or 0,
        difficulty=order.difficulty,
        option_lines=option_lines,
    )


WORK_LINES = ("base", "minimum", "difficulty")


def _frozen_without_tier(order) -> list[PriceLine]:
    return [line for line in order.price_breakdown if line.kind != "tier"]


def _with_tier(frozen: list[PriceLine], rule: PriceRule, tier: str) -> list[PriceLine]:
    """The frozen lines with the tier line of `tier`: the work (base or minimum, and the
    home's condition) times that tier's multiplier; the options as booked."""
    multiplier = rule.tier_multiplier(tier)
    work = [line for line in frozen if line.kind in WORK_LINES]
    rest = [line for line in frozen if line.kind not in WORK_LINES]
    if multiplier == 1:
        return work + rest
    subtotal = sum((line.amount for line in work), Decimal("0"))
    tier_line = PriceLine(
        kind="tier", amount=_round(subtotal * (multiplier - 1)), code=tier, multiplier=multiplier
    )
    return [*work, tier_line, *rest]


def lines_for_tier(order, tier: str) -> list[PriceLine] | None:
    """The order's price lines if a provider of `tier` does it (R-ORD-2): its frozen lines in
    its own price book version, with that tier's line, so a newer price book changes nothing.
    None for an order without a breakdown or a version, whose price stays."""
    frozen = _frozen_without_tier(order)
    if order.price_book_id is None or not frozen:
        return None
    return _with_tier(frozen, rule_for(order.service_type, order.price_book), tier)


def price_for_tier(order, tier: str) -> Decimal:
    """What `order` costs if a provider of `tier` does it (`lines_for_tier`)."""
    return prices_by_tier(order)[tier]


def prices_by_tier(order) -> dict[str, Decimal]:
    """price_for_tier for every tier at once, e.g. for a list of candidates: the rule is read
    once. An order without a frozen breakdown is priced from its version's rule."""
    if order.price_book_id is None:
        return dict.fromkeys(ProviderTier.values, order.price)
    frozen = _frozen_without_tier(order)
    if frozen:
        rule = rule_for(order.service_type, order.price_book)
        lines = {tier: _with_tier(frozen, rule, tier) for tier in ProviderTier.values}
    else:
        repricing = _repricing(order)
        lines = {tier: repricing(tier=tier) for tier in ProviderTier.values}
    return {
        tier: sum((line.amount for line in tier_lines), Decimal("0"))
        for tier, tier_lines in lines.items()
    }


def tier_reason(order, tier: str) -> str:
    """Why a provider of `tier` costs more or less, as their price line says (e.g. "Provider
    tier: Experienced (x1.15)"), in the active language; empty when nothing changes."""
    lines = lines_for_tier(order, tier) or []
    return next((line.label for line in lines if line.kind == "tier"), "")
