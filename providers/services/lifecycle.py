"""The provider lifecycle (R-VET-*): the only code that assigns Provider.status.

applied -> screened -> interview_scheduled -> interviewed -> identity_verified
  -> in_training (<-> under_review) -> commitment_signed -> active
rejected from any stage before active, withdrawn by the applicant;
active -> suspended -> probation -> active, probation -> removal_review -> removed | active.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from accounts.models import Role, TokenRevocation
from accounts.services import revoke_api_tokens
from core.lifecycle import Lifecycle

from ..models import (
    CommitmentSignature,
    Course,
    DocumentKind,
    Enrollment,
    EnrollmentPurpose,
    Interview,
    InterviewStatus,
    Provider,
    ProviderEvent,
    RejectionReason,
    Scorecard,
    VettingDocument,
)
from ..models import ProviderStatus as S
from ..notifications import tell_provider
from ..signals import provider_status_changed
from ..stages import NEXT_STEP
from .profile import save_working_profile

_CAN_LEAVE = {S.REJECTED, S.WITHDRAWN}
ALLOWED_TRANSITIONS = {
    S.APPLIED: {S.SCREENED} | _CAN_LEAVE,
    S.SCREENED: {S.INTERVIEW_SCHEDULED} | _CAN_LEAVE,
    S.INTERVIEW_SCHEDULED: {S.INTERVIEWED, S.SCREENED} | _CAN_LEAVE,
    S.INTERVIEWED: {S.IDENTITY_VERIFIED} | _CAN_LEAVE,
    S.IDENTITY_VERIFIED: {S.IN_TRAINING} | _CAN_LEAVE,
    S.IN_TRAINING: {S.UNDER_REVIEW, S.COMMITMENT_SIGNED} | _CAN_LEAVE,
    S.UNDER_REVIEW: {S.IN_TRAINING} | _CAN_LEAVE,
    S.COMMITMENT_SIGNED: {S.ACTIVE} | _CAN_LEAVE,
    S.ACTIVE: {S.SUSPENDED, S.REMOVED},
    S.SUSPENDED: {S.PROBATION, S.ACTIVE, S.REMOVED},
    S.PROBATION: {S.ACTIVE, S.SUSPENDED, S.REMOVAL_REVIEW, S.REMOVED},
    S.REMOVAL_REVIEW: {S.ACTIVE, S.REMOVED},
    S.REMOVED: set(),
    S.REJECTED: set(),
    S.WITHDRAWN: set(),
}


# Statuses that end the provider's sessions in the app: every API token they hold is revoked.
SIGNED_OUT_STATUSES = {S.SUSPENDED, S.REMOVED}


class ProviderTransitionError(ValidationError):
    """The change is not allowed; the message says why, for the person who asked."""


REFUSAL = gettext_lazy("A provider who is %(current)s cannot become %(target)s.")


def transition(
    *,
    provider: Provider,
    to: str,
    actor,
    reason: str,
    reason_code: str = "",
    notify=True,
    **fields,
) -> Provider:
    """Move the provider to `to` under a row lock, recording who, when, from, to and why, and
    telling them once this commits (core.lifecycle). Extra keyword arguments are saved too."""
    if not reason or not reason.strip():
        raise ProviderTransitionError(_("A reason is required."))
    from_status = provider.status
    provider = PROVIDER_LIFECYCLE.transition(
        provider,
        to,
        actor=actor,
        reason=reason.strip(),
        notify=notify,
        event_fields={"reason_code": reason_code},
        **fields,
    )
    if to in SIGNED_OUT_STATUSES:
        revoke_api_tokens(
            user=provider.user, why=TokenRevocation.PROVIDER, actor=actor, note=reason.strip()
        )
    provider_status_changed.send(
        sender=Provider, provider=provider, from_status=from_status, to_status=to
    )
    return provider


def tell_status_changed(event_id: int) -> None:
    """Tell the provider about one change, as it was (later changes get their own message)."""
    event = ProviderEvent.objects.select_related("provider__user").get(pk=event_id)
    tell_provider(
        event.provider, "status_changed", event=event, next_step=NEXT_STEP[event.to_status]
    )


PROVIDER_LIFECYCLE = Lifecycle(
    allowed=ALLOWED_TRANSITIONS,
    event_model=ProviderEvent,
    error=ProviderTransitionError,
    refusal=REFUSAL,
    notify=tell_status_changed,
)


# Applications -------------------------------------------------------------------------------


@transaction.atomic
def screen_application(*, provider: Provider, actor, note: str = "") -> Provider:
    """The registration unit accepts the stated data (R-VET-2)."""
    return transition(
        provider=provider,
        to=S.SCREENED,
        actor=actor,
        reason=note or gettext_noop("Application approved by the registration team"),
    )


@transaction.atomic
def reject_application(*, provider: Provider, actor, reason_code: str, note: str = "") -> Provider:
    if reason_code not in RejectionReason.values:
        raise ProviderTransitionError(_("Choose a reason from the list."))
    # Stored as the English message id so each reader sees it in their own language.
    with translation.override("en"):
        reason = note.strip() or str(RejectionReason(reason_code).label)
    _cancel_scheduled_interviews(provider)
    return transition(
        provider=provider, to=S.REJECTED, actor=actor, reason=str(reason), reason_code=reason_code
    )


def _cancel_scheduled_interviews(provider: Provider) -> None:
    """An applicant who leaves frees their interviewer's slot."""
    Interview.objects.filter(provider=provider, status=InterviewStatus.SCHEDULED).update(
        status=InterviewStatus.CANCELLED
    )


@transaction.atomic
def withdraw_application(*, provider: Provider, actor, note: str = "") -> Provider:
    if actor is not None and actor.pk != provider.user_id:
        raise ProviderTransitionError(_("Only the applicant can withdraw an application."))
    _cancel_scheduled_interviews(provider)
    return transition(
        provider=provider,
        to=S.WITHDRAWN,
        actor=actor,
        reason=note or gettext_noop("Withdrawn by the applicant"),
    )


# Activation (R-VET-6) -------------------------------------------------------------------------


def activation_blockers(provider: Provider) -> list[str]:
    """Everything still missing before the provider may work; empty when they may."""
    blockers = []
    if provider.status != S.COMMITMENT_SIGNED:
        blockers.append(_("The commitment is not signed yet."))
    if not Scorecard.objects.filter(interview__provider=provider, passed=True).exists():
        blockers.append(_("No passed interview scorecard."))
    checked = set(
        VettingDocument.objects.filter(
            provider=provider, original_checked_at__isnull=False
        ).values_list("kind", flat=True)
    )
    for kind in DocumentKind:
        if kind not in checked:
            blockers.append(_("Not checked yet: %(document)s.") % {"document": kind.label})
    today = timezone.localdate()
    if (
        not VettingDocument.objects.filter(
            provider=provider,
            kind=DocumentKind.CRIMINAL_RECORD,
            original_checked_at__isnull=False,
            expires_on__gt=today,
        ).exists()
        and DocumentKind.CRIMINAL_RECORD in checked
    ):
        blockers.append(_("The certificate of no criminal record has expired."))
    for course in _required_courses_not_passed(provider):
        blockers.append(_("Course not passed: %(course)s.") % {"course": course.name})
    if not CommitmentSignature.objects.filter(provider=provider).exists():
        blockers.append(_("No signed commitment on file."))
    if not provider.areas.exists() or not provider.skill_levels.exists():
        blockers.append(_("The profile needs at least one skill and one service area."))
    if not provider.working_hours.exists():
        blockers.append(_("The profile needs weekly working hours."))
    return list(dict.fromkeys(blockers))


def _required_courses_not_passed(provider):
    passed = Enrollment.objects.filter(provider=provider, passed=True).values("course")
    return Course.objects.filter(required_for_activation=True, is_retraining=False).exclude(
        pk__in=passed
    )


@transaction.atomic
def activate_provider(*, provider: Provider, actor, note: str = "") -> Provider:
    """Make the provider bookable; refused, with every missing item named, until all is done."""
    blockers = activation_blockers(Provider.objects.select_for_update().get(pk=provider.pk))
    if blockers:
        raise ProviderTransitionError(blockers)
    return transition(
        provider=provider,
        to=S.ACTIVE,
        actor=actor,
        reason=note or gettext_noop("Every vetting stage passed: activated"),
        vetting_completed_at=timezone.now(),
    )


@transaction.atomic
def import_vetted_provider(
    *, user, skills, areas, weekly_hours, experience_years=0, actor=None, reason: str
) -> Provider:
    """Bring in a provider vetted before this platform (a legacy list, the demo data).

    `skills` is a list of Skill or of (Skill, years); `weekly_hours` of (weekday, starts, ends).
    The event records who imported them and on what grounds.
    """
    if user.role != Role.PROVIDER:
        user.role = Role.PROVIDER
        user.save(update_fields=["role"])
    now = timezone.now()
    provider = Provider.objects.create(
        user=user,
        status=S.ACTIVE,
        experience_years=experience_years,
        status_changed_at=now,
        vetting_completed_at=now,
    )
    save_working_profile(
        provider=provider,
        skills=[item if isinstance(item, tuple) else (item, experience_years) for item in skills],
        areas=areas,
        weekly_hours=weekly_hours,
    )
    PROVIDER_LIFECYCLE.begin(provider, actor=actor, reason=reason)
    return provider


# After activation (R-VET-7, R-QC-3) -----------------------------------------------------------


@transaction.atomic
def assign_retraining(*, provider: Provider) -> list[Enrollment]:
    """Enrol a suspended provider in every retraining course they have no open enrolment in."""
    enrollments = []
    for course in Course.objects.filter(is_retraining=True):
        enrollment, _ = Enrollment.objects.get_or_create(
            provider=provider,
            course=course,
            passed=None,
            defaults={"purpose": EnrollmentPurpose.RETRAINING},
        )
        enrollments.append(enrollment)
    return enrollments


@transaction.atomic
def suspend_provider(*, provider: Provider, actor, reason: str, retrain: bool = True) -> Provider:
    """Stop offers to the provider; with `retrain`, assign the retraining course(s)."""
    provider = transition(provider=provider, to=S.SUSPENDED, actor=actor, reason=reason)
    if retrain:
        assign_retraining(provider=provider)
    return provider


@transaction.atomic
def reinstate_provider(*, provider: Provider, actor, reason: str) -> Provider:
    return transition(
        provider=provider, to=S.ACTIVE, actor=actor, reason=reason, probation_ratings_left=0
    )


@transaction.atomic
def remove_provider(*, provider: Provider, actor, reason: str, reason_code: str = "") -> Provider:
    return transition(
        provider=provider, to=S.REMOVED, actor=actor, reason=reason, reason_code=reason_code
    )


@transaction.atomic
def place_on_probation(*, provider: Provider, actor, reason: str) -> Provider:
    """Back to work after retraining, watched for the next PROBATION_RATINGS ratings."""
    return transition(
        provider=provider,
        to=S.PROBATION,
        actor=actor,
        reason=reason,
        probation_ratings_left=settings.PROBATION_RATINGS,
    )


@transaction.atomic
def open_removal_review(*, provider: Provider, actor, reason: str) -> Provider:
    return transition(provider=provider, to=S.REMOVAL_REVIEW, actor=actor, reason=reason)


@transaction.atomic
def handle_low_ratings(*, provider: Provider, reason: str) -> Provider | None:
    """The ratings fell under the threshold: suspend an active provider for retraining; one on
    probation goes to a manager's removal review. Others are left as they are."""
    status = (
        Provider.objects.select_for_update().values_list("status", flat=True).get(pk=provider.pk)
    )
    if status == S.ACTIVE:
        return suspend_provider(provider=provider, actor=None, reason=reason)
    if status == S.PROBATION:
        return open_removal_review(provider=provider, actor=None, reason=reason)
    return None


@transaction.atomic
def note_rating_on_probation(*, provider: Provider) -> Provider:
    """Count a good-enough rating on probation; the last one ends probation."""
    locked = Provider.objects.select_for_update().get(pk=provider.pk)
    if locked.status != S.PROBATION:
        return provider
    left = max(locked.probation_ratings_left - 1, 0)
    if left == 0:
        return transition(
            provider=provider,
            to=S.ACTIVE,
            actor=None,
            reason=gettext_noop("Probation completed with good ratings"),
            probation_ratings_left=0,
        )
    locked.probation_ratings_left = left
    locked.save(update_fields=["probation_ratings_left"])
    provider.probation_ratings_left = left
    return provider
