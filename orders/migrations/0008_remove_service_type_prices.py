from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("orders", "0007_price_book_from_service_prices")]

    operations = [
        migrations.RemoveField(model_name="servicetype", name=name)
        for name in ("base_price", "minimum_price", "minutes_per_sqm", "price_per_sqm")
    ]
