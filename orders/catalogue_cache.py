"""What can be booked now and at what price, kept per process (core.kept).

Every quote, slot search and booking needs the service, the area and the service's rule in the
current price book; reading them is three queries and most of a quote's time, while staff change
them a few times a day. `current()` holds them all: the bookable services (active, in a shown
category, priced in the current version) by code, their options, the current version's rules and
the served areas. Any change to those models, or the next published version taking effect
(`expires_at`), makes every process read them again.

The objects are shared by the requests of a process: read them, never change them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from core.kept import Kept
from providers.models import ServiceArea

from .models import PriceBook, PriceRule, ServiceCategory, ServiceOption, ServiceType


@dataclass(frozen=True)
class Catalogue:
    price_book: PriceBook | None
    services: dict[str, ServiceType]  # bookable now, by code
    rules: dict[int, PriceRule]  # the current version's rule per service type id
    options: dict[int, dict[str, ServiceOption]]  # per service type id, by code (all options)
    areas: dict[str, ServiceArea]  # served areas by code
    expires_at: datetime | None  # when a version published for later takes effect

    def rule(self, service_type: ServiceType) -> PriceRule | None:
        return self.rules.get(service_type.pk)


def _load() -> Catalogue:
    now = timezone.now()
    book = PriceBook.objects.current(at=now)
    upcoming = (
        PriceBook.objects.published()
        .filter(valid_from__gt=now)
        .order_by("valid_from")
        .values_list("valid_from", flat=True)
        .first()
    )
    rules = {}
    if book is not None:
        for rule in PriceRule.objects.filter(price_book=book):
            rule.price_book = book  # the one object, not a query per rule
            rules[rule.service_type_id] = rule
    services = {
        service.code: service
        for service in ServiceType.objects.filter(is_active=True, pk__in=list(rules))
        .filter(Q(category__isnull=True) | Q(category__is_active=True))
        .select_related("category")
    }
    options: dict[int, dict[str, ServiceOption]] = {}
    for option in ServiceOption.objects.filter(service_type_id__in=list(rules)):
        options.setdefault(option.service_type_id, {})[option.code] = option
    areas = {area.code: area for area in ServiceArea.objects.filter(is_active=True)}
    return Catalogue(
        price_book=book,
        services=services,
        rules=rules,
        options=options,
        areas=areas,
        expires_at=upcoming,
    )


# A request often asks several times: one look at the version per half second is enough.
RECHECK_SECONDS = 0.5

_catalogue = Kept("orders-catalogue", _load, recheck_seconds=RECHECK_SECONDS)


def current() -> Catalogue:
    return _catalogue.get()


def _changed(sender, **kwargs) -> None:
    _catalogue.changed()


def connect() -> None:
    for model in (ServiceCategory, ServiceType, ServiceOption, PriceBook, PriceRule, ServiceArea):
        post_save.connect(_changed, sender=model, dispatch_uid=f"catalogue-{model.__name__}")
        post_delete.connect(
            _changed, sender=model, dispatch_uid=f"catalogue-{model.__name__}-deleted"
        )
