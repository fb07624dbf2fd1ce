"""Factories for interviews (R-VET-3) and the staff who run them."""

from datetime import timedelta

import factory
from django.contrib.auth.models import Group

from accounts.models import Role, StaffGroup
from providers.models import Interview, ProviderStatus
from tests.factories import OperatorFactory, ProviderFactory, UserFactory, local_datetime


def applicant(status=ProviderStatus.SCREENED, **kwargs):
    """A provider still being vetted (no vetting completion date)."""
    return ProviderFactory(status=status, vetting_completed_at=None, **kwargs)


class StaffFactory(UserFactory):
    """An operator who may log in to the admin but is not a superuser and in no group."""

    role = Role.OPERATOR
    is_staff = True


def vetting_staff(**kwargs):
    user = StaffFactory(**kwargs)
    user.groups.add(Group.objects.get_or_create(name=StaffGroup.VETTING)[0])
    return user


class InterviewFactory(factory.django.DjangoModelFactory):
    """A scheduled interview written straight to the table (bypasses the service)."""

    class Meta:
        model = Interview

    provider = factory.LazyFunction(lambda: applicant(ProviderStatus.INTERVIEW_SCHEDULED))
    interviewer = factory.SubFactory(OperatorFactory)
    starts_at = factory.LazyFunction(lambda: local_datetime(1, 10))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(minutes=45))
    location = "Head office, room 3"
    scheduled_by = factory.SelfAttribute("interviewer")
