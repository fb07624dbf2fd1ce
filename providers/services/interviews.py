"""Interviews (R-VET-3): scheduling with an interviewer, the scorecard, cancellation and no-shows.

Pass or fail follows from the scorecard and the configured weights; nothing else sets it.
"""

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.outbox import after_commit

from ..models import Criterion, Interview, InterviewStatus, Provider, RejectionReason, Scorecard
from ..models import ProviderStatus as S
from ..notifications import tell_provider
from ..stages import NEXT_STEP
from .lifecycle import transition

OVERLAP_CONSTRAINT = "interview_interviewer_no_overlap"
TWO_PLACES = Decimal("0.01")


class InterviewError(ValidationError):
    """The interview action is not allowed; the message says why."""


def _overlap_message() -> str:
    return _("This interviewer already has an interview at that time.")


def _interviewer_is_busy(*, interviewer_id: int, starts_at, ends_at) -> bool:
    return Interview.objects.filter(
        interviewer_id=interviewer_id,
        status=InterviewStatus.SCHEDULED,
        starts_at__lt=ends_at,
        ends_at__gt=starts_at,
    ).exists()


@transaction.atomic
def schedule_interview(
    *, provider: Provider, interviewer, starts_at, location: str, actor
) -> Interview:
    """Invite a screened applicant to an interview (SCREENED -> INTERVIEW_SCHEDULED).

    The interviewer's user row is locked while their diary is checked, so two operators cannot
    book the same interviewer at once; on PostgreSQL an exclusion constraint backs this.
    """
    location = (location or "").strip()
    if not location:
        raise InterviewError(_("Give the place of the interview."))
    if starts_at is None or starts_at <= timezone.now():
        raise InterviewError(_("The interview must start in the future."))
    if actor is None or not (actor.is_active and actor.is_staff):
        raise InterviewError(_("Only staff can schedule interviews."))
    # Lock the interviewer first, then (inside transition) the provider: always in this order.
    locked_interviewer = (
        get_user_model().objects.select_for_update().filter(pk=interviewer.pk).first()
        if interviewer is not None
        else None
    )
    if locked_interviewer is None or not (
        locked_interviewer.is_active and locked_interviewer.is_staff
    ):
        raise InterviewError(_("The interviewer must be an active staff member."))
    ends_at = starts_at + timedelta(minutes=settings.INTERVIEW_MINUTES)
    if _interviewer_is_busy(
        interviewer_id=locked_interviewer.pk, starts_at=starts_at, ends_at=ends_at
    ):
        raise InterviewError(_overlap_message())
    # The applicant gets the interview message below instead of the generic status message.
    transition(
        provider=provider,
        to=S.INTERVIEW_SCHEDULED,
        actor=actor,
        reason=gettext_noop("Interview scheduled"),
        notify=False,
    )
    try:
        with transaction.atomic():
            interview = Interview.objects.create(
                provider=provider,
                interviewer=locked_interviewer,
                starts_at=starts_at,
                ends_at=ends_at,
                location=location,
                scheduled_by=actor,
            )
    except IntegrityError as error:
        if OVERLAP_CONSTRAINT in str(error):
            raise InterviewError(_overlap_message()) from error
        raise
    interview_id = interview.pk
    after_commit(_tell_applicant, interview_id)
    return interview


def _tell_applicant(interview_id: int) -> None:
    interview = Interview.objects.select_related("provider__user").get(pk=interview_id)
    tell_provider(
        interview.provider,
        "interview_scheduled",
        interview=interview,
        minutes=settings.INTERVIEW_MINUTES,
        next_step=NEXT_STEP[S.INTERVIEW_SCHEDULED],
    )


def interview_weights() -> dict[str, Decimal]:
    """The configured weight of each criterion, as Decimals; a broken setting stops here."""
    configured = settings.INTERVIEW_WEIGHTS
    weights = {}
    for criterion in Criterion:
        if criterion.value not in configured:
            raise ImproperlyConfigured(f"INTERVIEW_WEIGHTS has no weight for {criterion.value}.")
        weight = Decimal(str(configured[criterion.value]))
        if weight < 0:
            raise ImproperlyConfigured("INTERVIEW_WEIGHTS must not be negative.")
        weights[criterion.value] = weight
    if sum(weights.values()) <= 0:
        raise ImproperlyConfigured("INTERVIEW_WEIGHTS must not all be zero.")
    return weights


def weighted_score(scores: dict[str, int], weights: dict[str, Decimal]) -> Decimal:
    """The weighted mean of the scores (1-5), normalised by the weight total, to 2 decimals."""
    total = sum(weights.values(), Decimal(0))
    value = sum((weights[name] * scores[name] for name in weights), Decimal(0)) / total
    return value.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def _clean_scores(scores) -> dict[str, int]:
    scores = dict(scores or {})
    unknown = set(scores) - set(Criterion.values)
    if unknown:
        raise InterviewError(
            _("Unknown criteria: %(names)s.") % {"names": ", ".join(sorted(unknown))}
        )
    cleaned = {}
    for criterion in Criterion:
        value = scores.get(criterion.value)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            raise InterviewError(
                _("Give %(criterion)s a score from 1 to 5.")
                % {"criterion": str(criterion.label).lower()}
            )
        cleaned[criterion.value] = value
    return cleaned


@transaction.atomic
def record_scorecard(*, interview: Interview, scores, notes=None, actor) -> Scorecard:
    """The interviewer's six scores decide: INTERVIEWED when the weighted mean reaches the pass
    mark, otherwise REJECTED (failed_interview). The weights and pass mark used are stored."""
    cleaned = _clean_scores(scores)
    notes = dict(notes or {})
    unknown = set(notes) - set(Criterion.values)
    if unknown:
        raise InterviewError(
            _("Unknown criteria: %(names)s.") % {"names": ", ".join(sorted(unknown))}
        )
    locked = Interview.objects.select_for_update().get(pk=interview.pk)
    if (
        actor is None
        or not actor.is_active
        or not (actor.pk == locked.interviewer_id or actor.is_superuser)
    ):
        raise InterviewError(_("Only the interviewer can record the scorecard."))
    if Scorecard.objects.filter(interview=locked).exists():
        raise InterviewError(_("This interview already has a scorecard."))
    if locked.status != InterviewStatus.SCHEDULED:
        raise InterviewError(_("Only a scheduled interview can be scored."))
    weights = interview_weights()
    score = weighted_score(cleaned, weights)
    pass_mark = Decimal(str(settings.INTERVIEW_PASS_MARK)).quantize(TWO_PLACES)
    passed = score >= pass_mark
    scorecard = Scorecard.objects.create(
        interview=locked,
        **cleaned,
        **{f"{name}_notes": (notes.get(name) or "").strip() for name in Criterion.values},
        weighted_score=score,
        pass_mark=pass_mark,
        weights={name: float(weight) for name, weight in weights.items()},
        passed=passed,
        recorded_by=actor,
    )
    locked.status = InterviewStatus.DONE
    locked.save(update_fields=["status"])
    interview.status = locked.status
    provider = Provider.objects.get(pk=locked.provider_id)
    if passed:
        transition(
            provider=provider,
            to=S.INTERVIEWED,
            actor=actor,
            reason=gettext_noop("Interview passed"),
        )
    else:
        transition(
            provider=provider,
            to=S.REJECTED,
            actor=actor,
            reason=gettext_noop("Did not pass the interview"),
            reason_code=RejectionReason.FAILED_INTERVIEW,
        )
    return scorecard


@transaction.atomic
def cancel_interview(*, interview: Interview, actor, reason: str, no_show: bool = False):
    """Call off a scheduled interview.

    Cancelled: the applicant goes back to SCREENED and can be invited again. No-show: the
    applicant is rejected (no_show).
    """
    reason = (reason or "").strip()
    if not reason:
        raise InterviewError(_("A reason is required."))
    if actor is None or not (actor.is_active and actor.is_staff):
        raise InterviewError(_("Only staff can cancel interviews."))
    locked = Interview.objects.select_for_update().get(pk=interview.pk)
    if locked.status != InterviewStatus.SCHEDULED:
        raise InterviewError(_("Only a scheduled interview can be cancelled."))
    locked.status = InterviewStatus.NO_SHOW if no_show else InterviewStatus.CANCELLED
    locked.save(update_fields=["status"])
    interview.status = locked.status
    provider = Provider.objects.select_for_update().get(pk=locked.provider_id)
    # An applicant who already left (withdrew, was rejected) keeps their status.
    if provider.status == S.INTERVIEW_SCHEDULED:
        if no_show:
            transition(
                provider=provider,
                to=S.REJECTED,
                actor=actor,
                reason=reason,
                reason_code=RejectionReason.NO_SHOW,
            )
        else:
            transition(provider=provider, to=S.SCREENED, actor=actor, reason=reason)
    return interview
