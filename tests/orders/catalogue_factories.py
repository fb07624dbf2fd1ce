"""Factories for the catalogue and the price book (R-ORD-2)."""

from datetime import UTC, datetime
from decimal import Decimal

import factory

from accounts.models import Role, User
from orders.models import (
    PriceBook,
    PriceBookStatus,
    PriceRule,
    PricingUnit,
    ServiceCategory,
    ServiceOption,
)

# Factory versions start in the past so tests that move the clock still find a current one.
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)

# The standard test price: 500,000 + 40,000 per m², at least 2,000,000; 1.5 minutes per m².
DEFAULT_RULE = {
    "unit": PricingUnit.PER_SQM,
    "base_price": Decimal("500000"),
    "rate": Decimal("40000"),
    "minimum_price": Decimal("2000000"),
    "minutes_per_sqm": Decimal("1.5"),
}


class ServiceCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceCategory
        django_get_or_create = ("code",)

    code = "home-cleaning"
    name = "Home cleaning"


class ServiceOptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceOption
        django_get_or_create = ("service_type", "code")

    service_type = factory.SubFactory("tests.factories.ServiceTypeFactory")
    code = factory.Sequence(lambda n: f"option-{n}")
    name = factory.LazyAttribute(lambda o: o.code.replace("-", " ").capitalize())
    extra_minutes = 0


def price_admin() -> User:
    user, _created = User.objects.get_or_create(
        phone="+989000000001",
        defaults={
            "full_name": "Price admin",
            "role": Role.OPERATOR,
            "is_staff": True,
            "is_superuser": True,
        },
    )
    return user


def publish_version(*, rules: dict, option_prices: dict | None = None) -> PriceBook:
    """A new published version: a copy of the current one with `rules` (service type -> field
    overrides, None for the default rule) replacing or adding rules; `option_prices` maps a
    service type to {option code: price} merged into its rule. Valid from the same moment as
    the latest version (a higher number wins the tie), so it is current at once."""
    current = PriceBook.objects.current()
    latest = PriceBook.objects.published().order_by("-valid_from").first()
    number = PriceBook.objects.order_by("-number").values_list("number", flat=True).first() or 0
    book = PriceBook.objects.create(
        number=number + 1,
        valid_from=latest.valid_from if latest else EPOCH,
        note="test version",
        created_by=price_admin(),
    )
    existing = {}
    if current is not None:
        for rule in current.rules.all():
            existing[rule.service_type_id] = rule
    option_prices = option_prices or {}
    services = {service.pk: service for service in [*rules, *option_prices]}
    for service_id, old in existing.items():
        if service_id not in services:
            old.pk = None
            old.price_book = book
            old.save()
    for service in services.values():
        fields = {**DEFAULT_RULE}
        old = existing.get(service.pk)
        if old is not None:
            fields = {
                name: getattr(old, name)
                for name in (
                    "unit",
                    "base_price",
                    "rate",
                    "minimum_price",
                    "minutes_per_sqm",
                    "difficulty_multipliers",
                    "tier_multipliers",
                    "option_prices",
                )
            }
        fields.update(rules.get(service) or {})
        prices = {**fields.get("option_prices", {})}
        prices.update({k: str(v) for k, v in option_prices.get(service, {}).items()})
        fields["option_prices"] = prices
        PriceRule.objects.create(price_book=book, service_type=service, **fields)
    book.status = PriceBookStatus.PUBLISHED
    book.published_at = book.valid_from
    book.published_by = price_admin()
    book.save()
    return book


def ensure_price_rule(service_type) -> None:
    """Give the service the default test price in the current version if it has none."""
    current = PriceBook.objects.current()
    if current is not None and current.rules.filter(service_type=service_type).exists():
        return
    publish_version(rules={service_type: None})


def price_option(option, price) -> PriceBook:
    """Publish a version in which `option` costs `price`."""
    return publish_version(rules={}, option_prices={option.service_type: {option.code: price}})
