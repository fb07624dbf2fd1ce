from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.models import Order, OrderStatus
from providers.models import ProviderStatus
from providers.services import handle_low_ratings, note_rating_on_probation

from .models import Rating
from .selectors import rating_deadline, rolling_average


class RatingError(ValidationError):
    pass


@transaction.atomic
def rate_order(
    *, order: Order, customer, attitude: int, result: int, compliance: int, comment: str = ""
) -> Rating:
    """Record the customer's rating of a completed job within the rating window.

    Then checks the provider's rolling average, which may suspend them.
    """
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.customer_id != customer.pk:
        raise RatingError(_("You can only rate your own orders."))
    if order.status != OrderStatus.COMPLETED:
        raise RatingError(_("You can rate a job once it is completed."))
    if timezone.now() > rating_deadline(order):
        raise RatingError(
            _("Ratings close %(hours)s hours after the job is completed.")
            % {"hours": settings.RATING_WINDOW_HOURS}
        )
    if Rating.objects.filter(order=order).exists():
        raise RatingError(_("You have already rated this job."))
    for score in (attitude, result, compliance):
        if score not in range(1, 6):
            raise RatingError(_("Each score is a whole number from 1 to 5."))
    try:
        with transaction.atomic():
            rating = Rating.objects.create(
                order=order,
                provider_id=order.provider_id,
                customer=customer,
                attitude=attitude,
                result=result,
                compliance=compliance,
                comment=comment.strip(),
            )
    except IntegrityError as exc:  # a second tab submitted at the same moment
        raise RatingError(_("You have already rated this job.")) from exc
    suspend_if_rated_low(provider=rating.provider)
    return rating


def suspend_if_rated_low(*, provider) -> bool:
    """Act on the provider's ratings after a new one (R-QC-3, R-VET-7).

    Active: suspended for retraining when the average of the last N ratings is under the
    threshold, judged only once N ratings exist so one unlucky job cannot suspend a newcomer.
    On probation: every rating is watched; one under the threshold opens a removal review,
    otherwise it counts towards the end of probation.
    """
    threshold = settings.RATING_SUSPEND_THRESHOLD
    if provider.status == ProviderStatus.PROBATION:
        latest, _count = rolling_average(provider=provider, count=1)
        if latest < threshold:
            handle_low_ratings(
                provider=provider,
                reason=f"Automatic: rated {latest:.2f} on probation, below {threshold:.2f}.",
            )
            return True
        note_rating_on_probation(provider=provider)
        return False
    count = settings.RATING_ROLLING_COUNT
    average, seen = rolling_average(provider=provider, count=count)
    if seen < count or average >= threshold or provider.status != ProviderStatus.ACTIVE:
        return False
    handle_low_ratings(
        provider=provider,
        reason=(
            f"Automatic: average rating {average:.2f} over the last {seen} ratings "
            f"is below {threshold:.2f}."
        ),
    )
    return True
