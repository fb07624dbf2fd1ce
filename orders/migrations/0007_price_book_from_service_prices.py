"""Carry the prices that lived on each service type into price book version 1.

Before the price book, each ServiceType held its own base price, rate per m², minimum price and
minutes per m². Installations that already have service types get a version 1 with one rule per
service from those values, published by the first superuser (or left as a draft for staff to
publish when there is no user yet), so every service can still be quoted.
"""

from django.db import migrations
from django.utils import timezone


def copy_service_prices(apps, schema_editor):
    ServiceType = apps.get_model("orders", "ServiceType")
    PriceBook = apps.get_model("orders", "PriceBook")
    PriceRule = apps.get_model("orders", "PriceRule")
    User = apps.get_model("accounts", "User")
    services = list(ServiceType.objects.all())
    if not services or PriceBook.objects.exists():
        return
    publisher = (
        User.objects.filter(is_superuser=True).order_by("pk").first()
        or User.objects.filter(is_staff=True).order_by("pk").first()
    )
    now = timezone.now()
    book = PriceBook.objects.create(
        number=1,
        status="published" if publisher else "draft",
        valid_from=now,
        note="Copied from the prices each service type held before the price book.",
        created_by=publisher,
        published_at=now if publisher else None,
        published_by=publisher,
    )
    PriceRule.objects.bulk_create(
        PriceRule(
            price_book=book,
            service_type=service,
            unit="per_sqm",
            base_price=service.base_price,
            rate=service.price_per_sqm,
            minimum_price=service.minimum_price,
            minutes_per_sqm=service.minutes_per_sqm,
        )
        for service in services
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("orders", "0006_catalogue_care_execution_recurring"),
    ]

    operations = [migrations.RunPython(copy_service_prices, migrations.RunPython.noop)]
