"""The suspension loop end to end (R-VET-7, R-QC-3, R-SEC-2): low ratings suspend an active
provider and enrol them in retraining; passing it puts them on probation and back in matching;
good ratings end probation; a low one on probation opens a removal review a manager decides."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import Role, StaffGroup
from matching.selectors import candidates_for
from orders.models import OrderStatus
from providers.models import Course, Enrollment, EnrollmentPurpose, ProviderEvent, ProviderStatus
from providers.services import lifecycle
from providers.services.training import grade_enrollment
from reviews import services
from tests.factories import CustomerFactory, OrderFactory, ProviderFactory, UserFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.requirement("R-VET-7", "R-QC-3", "R-SEC-2"),
]

LOW = (2, 2, 2)
GOOD = (5, 4, 5)


@pytest.fixture(autouse=True)
def _rules(settings):
    settings.RATING_ROLLING_COUNT = 3
    settings.RATING_SUSPEND_THRESHOLD = 3.0
    settings.PROBATION_RATINGS = 2


@pytest.fixture
def course(db):
    return Course.objects.create(
        code="care-refresher",
        name="Customer care refresher",
        pass_mark=70,
        required_for_activation=False,
        is_retraining=True,
    )


@pytest.fixture
def vetting_staff(db):
    user = UserFactory(role=Role.OPERATOR, is_staff=True, full_name="Vida Vetting")
    user.groups.add(Group.objects.get_or_create(name=StaffGroup.VETTING)[0])
    return user


@pytest.fixture
def manager(db):
    return UserFactory(role=Role.OPERATOR, is_staff=True, is_superuser=True, full_name="Mina Boss")


@pytest.fixture
def worker(db):
    return ProviderFactory(user__full_name="Parisa Worker", status_changed_at=timezone.now())


def rate(provider, scores, comment=""):
    """A customer rates a job the provider just completed, through the rating service."""
    customer = CustomerFactory()
    # Done just now: completed hours count toward the working-hour limits (R-ORD-5), so the
    # job lies in the past, not at the factory's default time tomorrow.
    order = OrderFactory(
        customer=customer,
        provider=provider,
        status=OrderStatus.COMPLETED,
        starts_at=timezone.now() - timedelta(hours=3),
        ends_at=timezone.now() - timedelta(hours=1),
        completed_at=timezone.now(),
    )
    attitude, result, compliance = scores
    return services.rate_order(
        order=order,
        customer=customer,
        attitude=attitude,
        result=result,
        compliance=compliance,
        comment=comment,
    )


def offered(provider) -> bool:
    return provider in candidates_for(OrderFactory())


def last_event(provider):
    event = ProviderEvent.objects.filter(provider=provider).first()
    return event.from_status, event.to_status, event.actor, event.reason


def suspend(provider, course):
    for scores in (LOW, LOW, LOW):
        rate(provider, scores)
    provider.refresh_from_db()
    assert provider.status == ProviderStatus.SUSPENDED
    return Enrollment.objects.get(provider=provider, course=course)


def on_probation(provider, course, grader):
    enrollment = suspend(provider, course)
    grade_enrollment(enrollment=enrollment, score=85, actor=grader)
    provider.refresh_from_db()
    assert provider.status == ProviderStatus.PROBATION
    return provider


def test_a_low_average_suspends_and_enrols_in_retraining(
    worker, course, django_capture_on_commit_callbacks, sms_outbox
):
    rate(worker, GOOD)
    rate(worker, LOW)
    worker.refresh_from_db()
    assert worker.status == ProviderStatus.ACTIVE  # two ratings: not judged yet
    assert offered(worker)
    with django_capture_on_commit_callbacks(execute=True):
        rate(worker, (1, 2, 2))  # (14 + 6 + 5) / 9 = 2.78
    worker.refresh_from_db()
    assert worker.status == ProviderStatus.SUSPENDED
    assert last_event(worker) == (
        "active",
        "suspended",
        None,
        "Automatic: average rating 2.78 over the last 3 ratings is below 3.00.",
    )
    enrollment = Enrollment.objects.get(provider=worker)
    assert (enrollment.course, enrollment.purpose, enrollment.passed, enrollment.score) == (
        course,
        EnrollmentPurpose.RETRAINING,
        None,
        None,
    )
    assert not offered(worker)
    # The provider is told.
    assert [message["to"] for message in sms_outbox] == [str(worker.user.phone)]
    assert "Suspended" in sms_outbox[0]["text"]


def test_a_late_rating_while_suspended_changes_nothing(worker, course):
    suspend(worker, course)
    events = ProviderEvent.objects.filter(provider=worker).count()
    rate(worker, (1, 1, 1))
    worker.refresh_from_db()
    assert worker.status == ProviderStatus.SUSPENDED
    assert ProviderEvent.objects.filter(provider=worker).count() == events
    assert Enrollment.objects.filter(provider=worker).count() == 1


def test_failing_retraining_keeps_the_provider_suspended(worker, course, vetting_staff):
    enrollment = suspend(worker, course)
    grade_enrollment(enrollment=enrollment, score=50, actor=vetting_staff)
    worker.refresh_from_db()
    assert worker.status == ProviderStatus.SUSPENDED
    assert worker.probation_ratings_left == 0
    assert not offered(worker)


def test_passing_retraining_puts_the_provider_on_probation_and_back_in_matching(
    worker, course, vetting_staff, settings
):
    enrollment = suspend(worker, course)
    grade_enrollment(enrollment=enrollment, score=85, actor=vetting_staff)
    worker.refresh_from_db()
    assert worker.status == ProviderStatus.PROBATION
    assert worker.probation_ratings_left == settings.PROBATION_RATINGS == 2
    assert last_event(worker) == (
        "suspended",
        "probation",
        vetting_staff,
        "Retraining passed: back to work on probation",
    )
    assert offered(worker)


def test_good_ratings_on_probation_count_down_and_the_last_makes_them_active(
    worker, course, vetting_staff
):
    on_probation(worker, course, vetting_staff)
    rate(worker, GOOD)
    worker.refresh_from_db()
    assert (worker.status, worker.probation_ratings_left) == (ProviderStatus.PROBATION, 1)
    rate(worker, (3, 3, 3))  # exactly at the threshold is good enough
    worker.refresh_from_db()
    assert (worker.status, worker.probation_ratings_left) == (ProviderStatus.ACTIVE, 0)
    assert last_event(worker) == (
        "probation",
        "active",
        None,
        "Probation completed with good ratings",
    )
    assert offered(worker)
    # Active again, the low ratings from before the suspension are not held against them.
    rate(worker, GOOD)
    worker.refresh_from_db()
    assert worker.status == ProviderStatus.ACTIVE


def test_a_low_rating_on_probation_opens_a_removal_review(worker, course, vetting_staff):
    on_probation(worker, course, vetting_staff)
    rate(worker, GOOD)
    rate(worker, (2, 3, 3))  # 2.67, one rating is enough on probation
    worker.refresh_from_db()
    assert worker.status == ProviderStatus.REMOVAL_REVIEW
    assert last_event(worker) == (
        "probation",
        "removal_review",
        None,
        "Automatic: rated 2.67 on probation, below 3.00.",
    )
    assert not worker.is_bookable
    assert not offered(worker)
    # No second retraining is assigned for the review.
    assert Enrollment.objects.filter(provider=worker).count() == 1


def test_the_manager_removes_the_provider_with_a_reason(worker, course, vetting_staff, manager):
    on_probation(worker, course, vetting_staff)
    rate(worker, LOW)
    lifecycle.remove_provider(
        provider=worker,
        actor=manager,
        reason="Customers still unhappy after retraining.",
        reason_code="quality",
    )
    worker.refresh_from_db()
    assert worker.status == ProviderStatus.REMOVED
    event = ProviderEvent.objects.filter(provider=worker).first()
    assert (event.from_status, event.to_status, event.actor, event.reason, event.reason_code) == (
        "removal_review",
        "removed",
        manager,
        "Customers still unhappy after retraining.",
        "quality",
    )
    assert event.at is not None
    assert not offered(worker)
    # Removed is final.
    with pytest.raises(lifecycle.ProviderTransitionError):
        lifecycle.reinstate_provider(provider=worker, actor=manager, reason="Changed my mind")
    worker.refresh_from_db()
    assert worker.status == ProviderStatus.REMOVED
    assert ProviderEvent.objects.filter(provider=worker, to_status="active").count() == 0


def test_the_manager_reinstates_the_provider_with_a_reason(worker, course, vetting_staff, manager):
    on_probation(worker, course, vetting_staff)
    rate(worker, (1, 1, 1))
    lifecycle.reinstate_provider(
        provider=worker, actor=manager, reason="The customer's complaint was not about her work."
    )
    worker.refresh_from_db()
    assert (worker.status, worker.probation_ratings_left) == (ProviderStatus.ACTIVE, 0)
    assert last_event(worker) == (
        "removal_review",
        "active",
        manager,
        "The customer's complaint was not about her work.",
    )
    assert offered(worker)
    # The old low ratings are not counted again: a good first rating does not suspend her.
    rate(worker, GOOD)
    worker.refresh_from_db()
    assert worker.status == ProviderStatus.ACTIVE
    # Three new low ratings would.
    rate(worker, LOW)
    rate(worker, LOW)
    worker.refresh_from_db()
    assert worker.status == ProviderStatus.SUSPENDED
    assert last_event(worker) == (
        "active",
        "suspended",
        None,
        "Automatic: average rating 2.89 over the last 3 ratings is below 3.00.",
    )
    assert Enrollment.objects.filter(provider=worker, course=course, passed=None).count() == 1


@pytest.mark.parametrize("action", ["remove", "reinstate"])
def test_a_decision_without_a_reason_is_refused(worker, course, vetting_staff, manager, action):
    on_probation(worker, course, vetting_staff)
    rate(worker, LOW)
    events = ProviderEvent.objects.filter(provider=worker).count()
    verb = {"remove": lifecycle.remove_provider, "reinstate": lifecycle.reinstate_provider}
    with pytest.raises(lifecycle.ProviderTransitionError):
        verb[action](provider=worker, actor=manager, reason="  ")
    worker.refresh_from_db()
    assert worker.status == ProviderStatus.REMOVAL_REVIEW
    assert ProviderEvent.objects.filter(provider=worker).count() == events


def test_a_reinstated_suspended_provider_is_not_suspended_again_by_old_ratings(
    worker, course, manager
):
    suspend(worker, course)
    lifecycle.reinstate_provider(provider=worker, actor=manager, reason="Appeal upheld.")
    worker.refresh_from_db()
    assert worker.status == ProviderStatus.ACTIVE
    rate(worker, GOOD)
    worker.refresh_from_db()
    assert worker.status == ProviderStatus.ACTIVE
    assert services.suspend_if_rated_low(provider=worker) is False
