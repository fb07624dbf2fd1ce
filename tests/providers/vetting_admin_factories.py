"""Rows of the vetting stages, built straight with the ORM, for the console and funnel tests."""

import hashlib
from datetime import timedelta
from decimal import Decimal

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.groups import sync_staff_groups
from accounts.models import Role, StaffGroup
from providers.models import (
    CommitmentSignature,
    CommitmentText,
    Course,
    DocumentKind,
    Enrollment,
    Interview,
    InterviewStatus,
    ProviderEvent,
    ProviderStatus,
    Scorecard,
    VettingDocument,
)
from tests.factories import ProviderFactory, UserFactory


def staff_user(group: str | None, **fields):
    """An active operator (not a superuser) in one staff group, with that group's permissions."""
    sync_staff_groups()
    user = UserFactory(role=Role.OPERATOR, is_staff=True, **fields)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


def vetting_operator(**fields):
    return staff_user(StaffGroup.VETTING, **fields)


class ApplicantFactory(ProviderFactory):
    """An application not yet vetted: with skills, an area and weekly hours, like the form."""

    status = ProviderStatus.APPLIED
    vetting_completed_at = None


class InterviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Interview

    provider = factory.SubFactory(ApplicantFactory, status=ProviderStatus.INTERVIEW_SCHEDULED)
    interviewer = factory.LazyFunction(vetting_operator)
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=2))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(minutes=45))
    location = "Head office, room 2"
    scheduled_by = factory.SelfAttribute("interviewer")


def passed_scorecard(provider, *, passed=True, recorded_by=None):
    """A done interview with a scorecard (weighted 4.20 passed, or 2.00 failed)."""
    interview = InterviewFactory(
        provider=provider,
        status=InterviewStatus.DONE,
        starts_at=timezone.now() - timedelta(days=3),
    )
    score = 4 if passed else 2
    return Scorecard.objects.create(
        interview=interview,
        physical_ability=score,
        skills=score,
        appearance_ethics=score,
        responsibility=score,
        discipline=score,
        honesty=score,
        weighted_score=Decimal("4.20") if passed else Decimal("2.00"),
        pass_mark=Decimal("3.80"),
        weights={},
        passed=passed,
        recorded_by=recorded_by or interview.interviewer,
    )


def checked_documents(provider, *, checker, certificate_expires_in_days=300):
    """The three documents, every original checked; the certificate valid for a while."""
    today = timezone.localdate()
    documents = []
    for kind in DocumentKind:
        dated = kind == DocumentKind.CRIMINAL_RECORD
        documents.append(
            VettingDocument.objects.create(
                provider=provider,
                kind=kind,
                file=f"vetting/{provider.pk}-{kind}.bin",
                content_type="application/pdf",
                original_name=f"{kind}.pdf",
                size=1000,
                uploaded_by=checker,
                issued_on=today - timedelta(days=30) if dated else None,
                expires_on=today + timedelta(days=certificate_expires_in_days) if dated else None,
                original_checked_at=timezone.now(),
                checked_by=checker,
            )
        )
    return documents


def onboarding_course(code="basics", name="Cleaning basics"):
    course, _ = Course.objects.get_or_create(
        code=code, defaults={"name": name, "pass_mark": 70, "required_for_activation": True}
    )
    return course


def retraining_course():
    course, _ = Course.objects.get_or_create(
        code="retraining",
        defaults={
            "name": "Service quality refresher",
            "required_for_activation": False,
            "is_retraining": True,
        },
    )
    return course


def passed_courses(provider, *, grader):
    return [
        Enrollment.objects.create(
            provider=provider,
            course=course,
            score=85,
            passed=True,
            graded_by=grader,
            graded_at=timezone.now(),
        )
        for course in Course.objects.filter(required_for_activation=True, is_retraining=False)
    ]


def signed_commitment(provider):
    text, _ = CommitmentText.objects.get_or_create(
        version=1,
        language="en",
        defaults={"title": "Our commitment to quality", "body": "I will do careful work."},
    )
    return CommitmentSignature.objects.create(
        provider=provider,
        text=text,
        typed_name=provider.user.full_name,
        signed_at=timezone.now(),
        ip_address="203.0.113.9",
        user_agent="test",
        text_sha256=hashlib.sha256(text.body.encode()).hexdigest(),
    )


def ready_for_activation(*, operator, sign=True, **fields):
    """An applicant who passed every stage but activation: the commitment is signed (with
    `sign=False`, the status says so but no signature row exists)."""
    onboarding_course()
    provider = ApplicantFactory(status=ProviderStatus.COMMITMENT_SIGNED, **fields)
    passed_scorecard(provider)
    checked_documents(provider, checker=operator)
    passed_courses(provider, grader=operator)
    if sign:
        signed_commitment(provider)
    return provider


def event(provider, to_status, *, at, from_status="", actor=None, reason="test", reason_code=""):
    """A ProviderEvent at a chosen moment (auto_now_add is overwritten after the insert)."""
    row = ProviderEvent.objects.create(
        provider=provider,
        from_status=from_status,
        to_status=to_status,
        actor=actor,
        reason=reason,
        reason_code=reason_code,
    )
    ProviderEvent.objects.filter(pk=row.pk).update(at=at)
    return row
