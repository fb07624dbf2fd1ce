from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.models import Order, OrderStatus
from orders.services.execution import record_customer_rating
from providers.models import ProviderStatus
from providers.services import handle_low_ratings, note_rating_on_probation
from providers.services.ratings import add_to_rating_summary

from .models import FeedbackCallOutcome, FeedbackCallStatus, ProviderFeedbackCall, Rating
from .selectors import (
    completed_orders_count,
    feedback_calls_missing,
    rating_deadline,
    ratings_to_relay,
    rolling_average,
    works_feedback_calls,
)


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
    assert order.provider_id is not None  # a completed job has its provider (a constraint)
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
    _summarise_for_matching(rating)
    suspend_if_rated_low(provider=rating.provider)
    return rating


def _summarise_for_matching(rating: Rating) -> None:
    """What matching ranks and shows without reading ratings (it may not import reviews), kept
    by the apps that own it: the provider's average, count and latest comments, and the
    customer's score on the order."""
    record_customer_rating(order=rating.order, score=rating.average)
    add_to_rating_summary(
        provider_id=rating.provider_id,
        score=rating.average,
        comment=rating.comment,
        rated_at=rating.created_at,
    )


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
    # Only ratings since the provider became active count: those before a suspension were acted
    # on already, and must not suspend a reinstated provider again on their first new rating.
    average, seen = rolling_average(
        provider=provider, count=count, since=provider.status_changed_at
    )
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


# Provider feedback calls (R-VET-8) -------------------------------------------------------------

# How long operators have to make a call once it is on the list.
FEEDBACK_CALL_DUE_WITHIN = timedelta(days=2)

CALL_TRANSITIONS = {
    FeedbackCallStatus.OPEN: {FeedbackCallStatus.DONE, FeedbackCallStatus.UNREACHABLE},
    FeedbackCallStatus.UNREACHABLE: {FeedbackCallStatus.DONE, FeedbackCallStatus.UNREACHABLE},
    FeedbackCallStatus.DONE: set(),
}


class FeedbackCallError(ValidationError):
    pass


def schedule_feedback_call_if_due(*, provider_id: int) -> ProviderFeedbackCall | None:
    """Put a feedback call on the list when the provider's completed orders reach a multiple of
    FEEDBACK_CALL_EVERY_N_ORDERS. Safe to run twice: one call per milestone."""
    every = settings.FEEDBACK_CALL_EVERY_N_ORDERS
    completed = completed_orders_count(provider_id=provider_id)
    if every <= 0 or completed == 0 or completed % every:
        return None
    return _list_feedback_call(provider_id=provider_id, milestone=completed)


def schedule_missed_feedback_calls() -> list[ProviderFeedbackCall]:
    """Catch up on milestones whose call a lost message never put on the list."""
    calls = []
    for provider_id, milestone in feedback_calls_missing():
        call = _list_feedback_call(provider_id=provider_id, milestone=milestone)
        if call is not None:
            calls.append(call)
    return calls


@transaction.atomic
def _list_feedback_call(*, provider_id: int, milestone: int) -> ProviderFeedbackCall | None:
    """Create the call for this milestone with the ratings to read out; None if it exists."""
    if ProviderFeedbackCall.objects.filter(provider_id=provider_id, milestone=milestone).exists():
        return None
    try:
        with transaction.atomic():
            call = ProviderFeedbackCall.objects.create(
                provider_id=provider_id,
                milestone=milestone,
                due_at=timezone.now() + FEEDBACK_CALL_DUE_WITHIN,
            )
    except IntegrityError:  # another worker listed it at the same moment
        return None
    limit = max(settings.FEEDBACK_CALL_EVERY_N_ORDERS, 1)
    call.ratings.set(list(ratings_to_relay(provider_id=provider_id, limit=limit)))
    return call


@transaction.atomic
def record_feedback_call(
    *, call: ProviderFeedbackCall, actor, status: str, outcome: str = "", notes: str = ""
) -> ProviderFeedbackCall:
    """The operator says how the call went: done (with the outcome and what was said) or the
    provider could not be reached (tried again later). A done call is final."""
    locked = ProviderFeedbackCall.objects.select_for_update().get(pk=call.pk)
    check_feedback_call_record(
        call=locked, actor=actor, status=status, outcome=outcome, notes=notes
    )
    locked.status = status
    locked.outcome = outcome if status == FeedbackCallStatus.DONE else ""
    locked.notes = notes.strip()
    locked.called_by = actor
    locked.called_at = timezone.now()
    locked.save(update_fields=["status", "outcome", "notes", "called_by", "called_at"])
    for name in ("status", "outcome", "notes", "called_by", "called_at"):
        setattr(call, name, getattr(locked, name))
    return call


def check_feedback_call_record(
    *, call: ProviderFeedbackCall, actor, status: str, outcome: str, notes: str
) -> None:
    """Raise FeedbackCallError when record_feedback_call would refuse these values."""
    if actor is None or not works_feedback_calls(actor):
        raise FeedbackCallError(_("Only quality and support staff record feedback calls."))
    if call.status == FeedbackCallStatus.DONE:
        raise FeedbackCallError(_("This call is done already; its record cannot change."))
    if status not in CALL_TRANSITIONS[FeedbackCallStatus(call.status)]:
        raise FeedbackCallError(_("Say whether the call was made or the provider was not reached."))
    if status == FeedbackCallStatus.DONE:
        if outcome not in FeedbackCallOutcome.values:
            raise FeedbackCallError(_("Choose the outcome of the call."))
        if not notes.strip():
            raise FeedbackCallError(_("Write down what was said."))
