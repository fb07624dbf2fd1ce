"""Training (R-VET-5): enrolment, grading, the weak-learner flag, retraining, the commitment."""

from django.db import transaction

from ..models import Course, Enrollment, EnrollmentPurpose, Provider


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
