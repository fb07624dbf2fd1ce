"""Quotes are computed here and only here, on the server, from the catalogue."""

import math
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

from .models import ServiceType

SLOT_MINUTES = 30


@dataclass(frozen=True)
class Quote:
    service_type: ServiceType
    home_area_sqm: int
    price: Decimal
    currency: str
    duration: timedelta

    @property
    def minutes(self) -> int:
        return int(self.duration.total_seconds() // 60)


def quote_for(*, service_type: ServiceType, home_area_sqm: int) -> Quote:
    area = Decimal(home_area_sqm)
    price = service_type.base_price + service_type.price_per_sqm * area
    price = max(price, service_type.minimum_price).quantize(Decimal("1"), rounding=ROUND_HALF_UP)
    minutes = float(service_type.minutes_per_sqm * area)
    minutes = min(max(minutes, service_type.minimum_minutes), service_type.maximum_minutes)
    # Jobs take whole half-hour slots.
    minutes = math.ceil(minutes / SLOT_MINUTES) * SLOT_MINUTES
    return Quote(
        service_type=service_type,
        home_area_sqm=home_area_sqm,
        price=price,
        currency=settings.CURRENCY,
        duration=timedelta(minutes=minutes),
    )
