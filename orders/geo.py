"""Distances between a job and providers' homes, as SQL expressions (no PostGIS).

A provider may take a job in an area they serve, or within `travel_radius_km` of their home
(R-MAT-1). The job's point is the order's own coordinates, else its area's centre. The distance
is the great-circle (haversine) distance; a bounding box on latitude and longitude around the
job, sized by the largest radius any provider may have (MATCHING_MAX_TRAVEL_KM), comes first so
that PostgreSQL can use the (latitude, longitude) index before computing any trigonometry.
"""

import math

from django.conf import settings
from django.db.models import Case, F, FloatField, Q, Value, When
from django.db.models.functions import ASin, Cast, Cos, Least, Power, Radians, Sin, Sqrt
from django.db.models.lookups import LessThanOrEqual

EARTH_RADIUS_KM = 6371.0088
KM_PER_DEGREE_LATITUDE = 111.2


def order_point(order) -> tuple[float, float] | None:
    """Where the job is: the order's coordinates, else its area's centre, else None."""
    if order.latitude is not None and order.longitude is not None:
        return order.latitude, order.longitude
    return area_point(order.area)


def area_point(area) -> tuple[float, float] | None:
    if area is not None and area.latitude is not None and area.longitude is not None:
        return area.latitude, area.longitude
    return None


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """The same distance in Python (tests, reasons)."""
    lat1, lng1, lat2, lng2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def distance_km(point: tuple[float, float], prefix: str = ""):
    """SQL: the distance in km from `point` to the row's (latitude, longitude); NULL when the
    row has no coordinates. `prefix` reaches a related row's fields, e.g. "provider__"."""
    lat, lng = point
    row_lat = Radians(F(f"{prefix}latitude"))
    row_lng = Radians(F(f"{prefix}longitude"))
    lat0 = Value(math.radians(lat), output_field=FloatField())
    lng0 = Value(math.radians(lng), output_field=FloatField())
    h = Power(Sin((row_lat - lat0) / 2), 2) + Cos(row_lat) * Value(
        math.cos(math.radians(lat)), output_field=FloatField()
    ) * Power(Sin((row_lng - lng0) / 2), 2)
    # Least(1, h): rounding may push h a hair above 1 for antipodes, where asin is undefined.
    # PostgreSQL's LEAST ignores NULLs, so rows without coordinates are NULL explicitly.
    km = Value(2 * EARTH_RADIUS_KM, output_field=FloatField()) * ASin(
        Sqrt(Least(Value(1.0, output_field=FloatField()), h))
    )
    has_point = Q(**{f"{prefix}latitude__isnull": False, f"{prefix}longitude__isnull": False})
    return Case(When(has_point, then=km), default=None, output_field=FloatField())


def bounding_box(point: tuple[float, float], km: float, prefix: str = "") -> Q:
    """Rows whose coordinates lie within a box of +-km around the point (a cheap pre-filter)."""
    lat, lng = point
    dlat = km / KM_PER_DEGREE_LATITUDE
    cos_lat = max(math.cos(math.radians(lat)), 0.01)
    dlng = min(km / (KM_PER_DEGREE_LATITUDE * cos_lat), 180.0)
    return Q(
        **{
            f"{prefix}latitude__gte": lat - dlat,
            f"{prefix}latitude__lte": lat + dlat,
            f"{prefix}longitude__gte": lng - dlng,
            f"{prefix}longitude__lte": lng + dlng,
        }
    )


def within_travel_radius(point: tuple[float, float] | None) -> Q:
    """Providers whose home is within their own travel radius of the point (never more than
    MATCHING_MAX_TRAVEL_KM). A condition that matches nobody when there is no point."""
    if point is None:
        return Q(pk__in=[])
    max_km = float(settings.MATCHING_MAX_TRAVEL_KM)
    radius = Least(
        Cast(F("travel_radius_km"), FloatField()), Value(max_km, output_field=FloatField())
    )
    return (
        Q(travel_radius_km__gt=0)
        & bounding_box(point, max_km)
        & Q(LessThanOrEqual(distance_km(point), radius))
    )
