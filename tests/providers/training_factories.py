"""Factories for training and the commitment (R-VET-5, R-VET-7)."""

import factory
from django.utils import timezone

from providers.models import (
    CommitmentSignature,
    CommitmentText,
    Course,
    Enrollment,
    EnrollmentPurpose,
    ProviderStatus,
    TrainingSession,
)
from tests.factories import local_datetime

from .interview_factories import StaffFactory, applicant


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course
        django_get_or_create = ("code",)

    code = "cleaning-technique"
    name = "Cleaning technique"
    pass_mark = 70
    required_for_activation = True
    is_retraining = False


class TrainingSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingSession

    course = factory.SubFactory(CourseFactory)
    starts_at = factory.LazyFunction(lambda: local_datetime(2, 9))
    location = "Training room"
    instructor = factory.SubFactory(StaffFactory)


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrollment

    provider = factory.LazyFunction(lambda: applicant(ProviderStatus.IN_TRAINING))
    course = factory.SubFactory(CourseFactory)
    purpose = EnrollmentPurpose.ONBOARDING


class CommitmentTextFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CommitmentText

    version = 1
    language = "en"
    title = "Commitment to quality"
    body = "I arrive on time and treat the customer's home with care."


def sign(text, provider=None):
    """A signature written straight to the table (the signing service is another helper's)."""
    return CommitmentSignature.objects.create(
        provider=provider or applicant(ProviderStatus.COMMITMENT_SIGNED),
        text=text,
        typed_name="Maryam Provider",
        signed_at=timezone.now(),
        text_sha256="0" * 64,
    )
