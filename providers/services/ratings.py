"""The provider's rating summary (R-QC-1, R-MAT-2): the running average, the count and the
latest comments, kept on the provider so that matching ranks and shows them without reading
ratings (matching may not import reviews). Reviews calls this when a customer rates a job."""

from datetime import datetime

from django.db import transaction

from ..models import Provider

RECENT_REVIEWS_KEPT = 3


@transaction.atomic
def add_to_rating_summary(
    *, provider_id: int, score: float, comment: str, rated_at: datetime
) -> Provider:
    """Count one more rating of `score` (the average of its parts) under the provider's lock;
    a comment becomes the newest of the latest RECENT_REVIEWS_KEPT shown on their card."""
    provider = Provider.objects.select_for_update().get(pk=provider_id)
    count = provider.rating_count + 1
    provider.rating_average = (
        (provider.rating_average or 0.0) * provider.rating_count + score
    ) / count
    provider.rating_count = count
    if comment:
        latest = {"text": comment[:500], "score": round(score, 1), "at": rated_at.isoformat()}
        provider.recent_reviews = [latest, *provider.recent_reviews][:RECENT_REVIEWS_KEPT]
    provider.save(update_fields=["rating_average", "rating_count", "recent_reviews"])
    return provider
