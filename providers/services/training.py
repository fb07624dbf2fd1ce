"""Training (R-VET-5): enrolment, grading, the weak-learner flag, retraining (R-VET-7)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import StaffGroup

from ..models import Course, Enrollment, EnrollmentPurpose, Provider
from ..models import ProviderStatus as S
from .lifecycle import place_on_probation, transition


class TrainingError(ValidationError):
    """The training action is not allowed; the message says why."""


def is_vetting_staff(user) -> bool:
    """An active operator of the vetting group, or a superuser."""
    if user is None or not user.is_active or not user.is_staff:
        return False
    return user.is_superuser or user.groups.filter(name=StaffGroup.VETTING).exists()


def _may_teach(user, enrollment: Enrollment) -> bool:
    """The instructor of the enrollment's session, or any vetting staff."""
    if user is None or not user.is_active or not user.is_staff:
        return False
    session = enrollment.session
    if session is not None and session.instructor_id == user.pk:
        return True
    return is_vetting_staff(user)


@transaction.atomic
def enroll_in_training(*, provider: Provider, actor) -> list[Enrollment]:
    """IDENTITY_VERIFIED -> IN_TRAINING, with an onboarding enrolment in every required course."""
    transition(
        provider=provider,
        to=S.IN_TRAINING,
        actor=actor,
        reason=gettext_noop("Enrolled in training"),
    )
    enrollments = []
    courses = Course.objects.filter(required_for_activation=True, is_retraining=False)
    for course in courses.order_by("pk"):
        existing = (
            Enrollment.objects.filter(provider=provider, course=course)
            .exclude(passed=False)
            .first()
        )
        if existing is None:
            existing = Enrollment.objects.create(
                provider=provider, course=course, purpose=EnrollmentPurpose.ONBOARDING
            )
        enrollments.append(existing)
    return enrollments


@transaction.atomic
def grade_enrollment(*, enrollment: Enrollment, score, actor) -> Enrollment:
    """Record the score (0-100); it passes at the course's pass mark or above. Written once.

    A passed retraining course puts a suspended provider on probation once none of their
    retraining enrolments is open or failed without a later pass (R-VET-7).
    """
    if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 100:
        raise TrainingError(_("The score must be a whole number from 0 to 100."))
    locked = (
        Enrollment.objects.select_for_update(of=("self",))
        .select_related("course", "session")
        .get(pk=enrollment.pk)
    )
    if not _may_teach(actor, locked):
        raise TrainingError(_("Only the instructor of the session or vetting staff can grade."))
    if locked.passed is not None:
        raise TrainingError(
            _("This enrolment is already graded. Enrol the provider again to retake the course.")
        )
    locked.score = score
    locked.passed = score >= locked.course.pass_mark
    locked.graded_by = actor
    locked.graded_at = timezone.now()
    locked.save(update_fields=["score", "passed", "graded_by", "graded_at"])
    for name in ("score", "passed", "graded_by", "graded_at"):
        setattr(enrollment, name, getattr(locked, name))
    if locked.purpose == EnrollmentPurpose.RETRAINING:
        _end_suspension_if_retrained(provider_id=locked.provider_id, actor=actor)
    return enrollment


def retraining_outstanding(provider: Provider | int) -> bool:
    """Whether any retraining enrolment of the provider is open or failed with no later pass."""
    retraining = Enrollment.objects.filter(provider=provider, purpose=EnrollmentPurpose.RETRAINING)
    later_pass = retraining.filter(course=OuterRef("course"), pk__gt=OuterRef("pk"), passed=True)
    return (
        retraining.filter(passed__isnull=True).exists()
        or retraining.filter(passed=False).filter(~Exists(later_pass)).exists()
    )


def _end_suspension_if_retrained(*, provider_id: int, actor) -> None:
    provider = Provider.objects.select_for_update().get(pk=provider_id)
    if provider.status != S.SUSPENDED or retraining_outstanding(provider):
        return
    place_on_probation(
        provider=provider,
        actor=actor,
        reason=gettext_noop("Retraining passed: back to work on probation"),
    )


@transaction.atomic
def reenroll(*, provider: Provider, course: Course, actor) -> Enrollment:
    """A new enrolment for a provider whose last attempt at the course failed."""
    if not is_vetting_staff(actor):
        raise TrainingError(_("Only vetting staff can enrol a provider again."))
    Provider.objects.select_for_update().get(pk=provider.pk)
    attempts = Enrollment.objects.filter(provider=provider, course=course).order_by("-pk")
    last = attempts.first()
    if last is None or last.passed is not False:
        raise TrainingError(_("Only a provider who failed the course can be enrolled again."))
    return Enrollment.objects.create(provider=provider, course=course, purpose=last.purpose)


@transaction.atomic
def flag_weak_learner(*, enrollment: Enrollment, actor, note: str) -> Enrollment:
    """The instructor doubts the acceptance: IN_TRAINING -> UNDER_REVIEW, with their note."""
    note = (note or "").strip()
    if not note:
        raise TrainingError(_("Write a note for the reviewing manager."))
    locked = (
        Enrollment.objects.select_for_update(of=("self",))
        .select_related("session")
        .get(pk=enrollment.pk)
    )
    if not _may_teach(actor, locked):
        raise TrainingError(
            _("Only the instructor of the session or vetting staff can flag a learner.")
        )
    if locked.purpose != EnrollmentPurpose.ONBOARDING:
        raise TrainingError(_("Only a learner in onboarding training can be flagged."))
    transition(
        provider=Provider.objects.get(pk=locked.provider_id),
        to=S.UNDER_REVIEW,
        actor=actor,
        reason=note,
    )
    locked.flagged_weak = True
    locked.flag_note = note
    locked.save(update_fields=["flagged_weak", "flag_note"])
    enrollment.flagged_weak, enrollment.flag_note = locked.flagged_weak, locked.flag_note
    return enrollment


@transaction.atomic
def resume_training(*, provider: Provider, actor, reason: str) -> Provider:
    """The review kept the applicant: UNDER_REVIEW -> IN_TRAINING. The flag stays on record."""
    return transition(provider=provider, to=S.IN_TRAINING, actor=actor, reason=reason)
