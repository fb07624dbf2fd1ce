"""Fill in what matching ranks on from the ratings given before it was kept on the provider.

Since matching may not read reviews, reviews keeps each provider's average, count and latest
comments, and the customer's score on each order, as ratings arrive. Ratings given before that
are summed up here once.
"""

from django.db import migrations

RECENT_REVIEWS_KEPT = 3


def backfill(apps, schema_editor):
    Rating = apps.get_model("reviews", "Rating")
    Provider = apps.get_model("providers", "Provider")
    Order = apps.get_model("orders", "Order")
    summaries = {}
    for rating in Rating.objects.order_by("created_at", "pk").iterator():
        average = (rating.attitude + rating.result + rating.compliance) / 3
        Order.objects.filter(pk=rating.order_id).update(customer_rating=average)
        total, count, recent = summaries.get(rating.provider_id, (0.0, 0, []))
        if rating.comment:
            recent = [
                {
                    "text": rating.comment[:500],
                    "score": round(average, 1),
                    "at": rating.created_at.isoformat(),
                },
                *recent,
            ][:RECENT_REVIEWS_KEPT]
        summaries[rating.provider_id] = (total + average, count + 1, recent)
    for provider_id, (total, count, recent) in summaries.items():
        Provider.objects.filter(pk=provider_id).update(
            rating_average=total / count, rating_count=count, recent_reviews=recent
        )


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0001_initial"),
        ("providers", "0003_tier_location_rating_summary_rewards"),
        ("orders", "0008_remove_service_type_prices"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
