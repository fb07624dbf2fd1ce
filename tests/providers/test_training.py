"""Training (R-VET-5) and retraining after suspension (R-VET-7): enrolment, grading at the pass
mark, the weak-learner flag, probation after retraining, the frozen commitment text, the admin."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from providers.models import (
    CommitmentText,
    Enrollment,
    EnrollmentPurpose,
    ProviderEvent,
    ProviderStatus,
)
from providers.services.lifecycle import ProviderTransitionError, suspend_provider
from providers.services.training import (
    TrainingError,
    enroll_in_training,
    flag_weak_learner,
    grade_enrollment,
    reenroll,
    resume_training,
)
from tests.factories import CustomerFactory, OperatorFactory, ProviderFactory

from .interview_factories import StaffFactory, applicant, vetting_staff
from .training_factories import (
    CommitmentTextFactory,
    CourseFactory,
    EnrollmentFactory,
    TrainingSessionFactory,
    sign,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def courses(db):
    """Two required onboarding courses, an optional one and a retraining course."""
    return {
        "technique": CourseFactory(code="cleaning-technique", name="Cleaning technique"),
        "care": CourseFactory(code="customer-care", name="Customer care", pass_mark=80),
        "optional": CourseFactory(code="carpets", name="Carpets", required_for_activation=False),
        "retraining": CourseFactory(
            code="retraining",
            name="Retraining",
            is_retraining=True,
            required_for_activation=False,
        ),
    }


@pytest.fixture
def staff(db):
    return vetting_staff(full_name="Vera Vetting")


def state(provider):
    provider.refresh_from_db()
    return (
        provider.status,
        provider.probation_ratings_left,
        ProviderEvent.objects.filter(provider=provider).count(),
        list(
            Enrollment.objects.filter(provider=provider)
            .order_by("pk")
            .values_list("pk", "score", "passed", "graded_by", "flagged_weak", "flag_note")
        ),
    )


# Enrolment -------------------------------------------------------------------------------------


@pytest.mark.requirement("R-VET-5", "R-SEC-2")
def test_enrolment_starts_training_in_every_required_onboarding_course(courses, staff):
    provider = applicant(ProviderStatus.IDENTITY_VERIFIED)
    enrollments = enroll_in_training(provider=provider, actor=staff)
    assert {e.course.code for e in enrollments} == {"cleaning-technique", "customer-care"}
    assert {
        (e.course.code, e.purpose, e.score, e.passed)
        for e in Enrollment.objects.filter(provider=provider)
    } == {
        ("cleaning-technique", "onboarding", None, None),
        ("customer-care", "onboarding", None, None),
    }
    provider.refresh_from_db()
    assert provider.status == ProviderStatus.IN_TRAINING
    event = ProviderEvent.objects.get(provider=provider)
    assert (event.from_status, event.to_status, event.actor) == (
        "identity_verified",
        "in_training",
        staff,
    )


@pytest.mark.requirement("R-VET-5")
@pytest.mark.parametrize(
    "status", [ProviderStatus.INTERVIEWED, ProviderStatus.IN_TRAINING, ProviderStatus.ACTIVE]
)
def test_enrolment_before_identity_is_verified_is_refused(courses, staff, status):
    provider = ProviderFactory() if status == ProviderStatus.ACTIVE else applicant(status)
    before = state(provider)
    with pytest.raises(ProviderTransitionError):
        enroll_in_training(provider=provider, actor=staff)
    assert state(provider) == before


# Grading ---------------------------------------------------------------------------------------


@pytest.mark.requirement("R-VET-5")
@pytest.mark.parametrize(("score", "passed"), [(70, True), (69, False), (100, True), (0, False)])
def test_a_course_is_passed_at_its_pass_mark_exactly(courses, staff, score, passed):
    enrollment = EnrollmentFactory(course=courses["technique"])  # pass mark 70
    grade_enrollment(enrollment=enrollment, score=score, actor=staff)
    enrollment.refresh_from_db()
    assert (enrollment.score, enrollment.passed, enrollment.graded_by) == (score, passed, staff)
    assert enrollment.graded_at is not None


@pytest.mark.requirement("R-VET-5")
def test_each_course_has_its_own_pass_mark(courses, staff):
    enrollment = EnrollmentFactory(course=courses["care"])  # pass mark 80
    grade_enrollment(enrollment=enrollment, score=79, actor=staff)
    assert enrollment.passed is False


@pytest.mark.requirement("R-VET-5")
@pytest.mark.parametrize("score", [-1, 101, None, "80", 75.5, True])
def test_a_score_outside_zero_to_hundred_is_refused(courses, staff, score):
    enrollment = EnrollmentFactory(course=courses["technique"])
    before = state(enrollment.provider)
    with pytest.raises(TrainingError):
        grade_enrollment(enrollment=enrollment, score=score, actor=staff)
    assert state(enrollment.provider) == before


@pytest.mark.requirement("R-VET-5")
def test_a_graded_enrolment_cannot_be_regraded(courses, staff):
    enrollment = EnrollmentFactory(course=courses["technique"])
    grade_enrollment(enrollment=enrollment, score=50, actor=staff)
    before = state(enrollment.provider)
    with pytest.raises(TrainingError) as error:
        grade_enrollment(enrollment=enrollment, score=95, actor=staff)
    assert error.value.messages == [
        "This enrolment is already graded. Enrol the provider again to retake the course."
    ]
    assert state(enrollment.provider) == before


@pytest.mark.requirement("R-VET-5")
def test_a_failed_course_is_retaken_in_a_new_enrolment(courses, staff):
    failed = EnrollmentFactory(course=courses["technique"])
    grade_enrollment(enrollment=failed, score=40, actor=staff)
    retake = reenroll(provider=failed.provider, course=courses["technique"], actor=staff)
    assert retake.pk != failed.pk
    assert (retake.purpose, retake.score, retake.passed) == ("onboarding", None, None)
    # While it is open, or once passed, no further enrolment.
    with pytest.raises(TrainingError):
        reenroll(provider=failed.provider, course=courses["technique"], actor=staff)
    grade_enrollment(enrollment=retake, score=85, actor=staff)
    with pytest.raises(TrainingError):
        reenroll(provider=failed.provider, course=courses["technique"], actor=staff)
    failed.refresh_from_db()
    assert (failed.score, failed.passed) == (40, False)  # the first attempt stays on record
    assert Enrollment.objects.filter(provider=failed.provider).count() == 2


@pytest.mark.requirement("R-VET-5")
def test_the_session_instructor_or_vetting_staff_grade_nobody_else(courses):
    session = TrainingSessionFactory(course=courses["technique"])
    enrollment = EnrollmentFactory(course=courses["technique"], session=session)
    before = state(enrollment.provider)
    for outsider in (StaffFactory(), CustomerFactory(), StaffFactory(is_active=False)):
        with pytest.raises(TrainingError):
            grade_enrollment(enrollment=enrollment, score=90, actor=outsider)
    assert state(enrollment.provider) == before
    grade_enrollment(enrollment=enrollment, score=90, actor=session.instructor)
    assert enrollment.graded_by == session.instructor
    other = EnrollmentFactory(course=courses["care"])
    grade_enrollment(enrollment=other, score=90, actor=OperatorFactory())  # a superuser


# Weak learners ---------------------------------------------------------------------------------


@pytest.mark.requirement("R-VET-5", "R-SEC-2")
def test_flagging_a_weak_learner_sends_the_application_for_review_and_back(courses):
    session = TrainingSessionFactory(course=courses["technique"])
    enrollment = EnrollmentFactory(course=courses["technique"], session=session)
    provider = enrollment.provider
    note = "Could not follow the safety rules for chemicals after three explanations."
    flag_weak_learner(enrollment=enrollment, actor=session.instructor, note=note)
    enrollment.refresh_from_db()
    provider.refresh_from_db()
    assert (enrollment.flagged_weak, enrollment.flag_note) == (True, note)
    assert provider.status == ProviderStatus.UNDER_REVIEW
    event = ProviderEvent.objects.filter(provider=provider).first()
    assert (event.from_status, event.to_status, event.actor, event.reason) == (
        "in_training",
        "under_review",
        session.instructor,
        note,
    )
    manager = OperatorFactory()
    resume_training(provider=provider, actor=manager, reason="Second chance with a mentor")
    provider.refresh_from_db()
    enrollment.refresh_from_db()
    assert provider.status == ProviderStatus.IN_TRAINING
    assert (enrollment.flagged_weak, enrollment.flag_note) == (True, note)  # kept on record
    event = ProviderEvent.objects.filter(provider=provider).first()
    assert (event.to_status, event.actor, event.reason) == (
        "in_training",
        manager,
        "Second chance with a mentor",
    )


@pytest.mark.requirement("R-VET-5")
def test_a_flag_needs_a_note_a_teacher_and_a_learner_in_training(courses, staff):
    enrollment = EnrollmentFactory(course=courses["technique"])
    before = state(enrollment.provider)
    with pytest.raises(TrainingError):
        flag_weak_learner(enrollment=enrollment, actor=staff, note="  ")
    with pytest.raises(TrainingError):
        flag_weak_learner(enrollment=enrollment, actor=StaffFactory(), note="Weak")
    assert state(enrollment.provider) == before
    under_review = EnrollmentFactory(
        course=courses["care"], provider=applicant(ProviderStatus.UNDER_REVIEW)
    )
    before = state(under_review.provider)
    with pytest.raises(ProviderTransitionError):
        flag_weak_learner(enrollment=under_review, actor=staff, note="Weak")
    assert state(under_review.provider) == before


@pytest.mark.requirement("R-VET-5")
def test_resuming_is_only_from_review(staff):
    provider = applicant(ProviderStatus.IN_TRAINING)
    before = state(provider)
    with pytest.raises(ProviderTransitionError):
        resume_training(provider=provider, actor=staff, reason="No review open")
    assert state(provider) == before


# Retraining (R-VET-7) --------------------------------------------------------------------------


@pytest.fixture
def suspended(courses):
    provider = ProviderFactory()
    suspend_provider(provider=provider, actor=None, reason="Average rating 2.4 of 5")
    return provider


def retraining_enrollment(provider):
    return Enrollment.objects.get(provider=provider, passed__isnull=True)


@pytest.mark.requirement("R-VET-7", "R-SEC-2")
def test_passing_retraining_puts_a_suspended_provider_on_probation(suspended, staff, settings):
    settings.PROBATION_RATINGS = 3
    enrollment = retraining_enrollment(suspended)
    assert (enrollment.course.code, enrollment.purpose) == ("retraining", "retraining")
    grade_enrollment(enrollment=enrollment, score=70, actor=staff)
    suspended.refresh_from_db()
    assert suspended.status == ProviderStatus.PROBATION
    assert suspended.probation_ratings_left == 3
    event = ProviderEvent.objects.filter(provider=suspended).first()
    assert (event.from_status, event.to_status, event.actor) == ("suspended", "probation", staff)


@pytest.mark.requirement("R-VET-7")
def test_failing_retraining_keeps_the_provider_suspended_until_a_retake_passes(
    courses, suspended, staff, settings
):
    grade_enrollment(enrollment=retraining_enrollment(suspended), score=69, actor=staff)
    suspended.refresh_from_db()
    assert (suspended.status, suspended.probation_ratings_left) == (ProviderStatus.SUSPENDED, 0)
    retake = reenroll(provider=suspended, course=courses["retraining"], actor=staff)
    assert retake.purpose == EnrollmentPurpose.RETRAINING
    suspended.refresh_from_db()
    assert suspended.status == ProviderStatus.SUSPENDED
    grade_enrollment(enrollment=retake, score=88, actor=staff)
    suspended.refresh_from_db()
    assert suspended.status == ProviderStatus.PROBATION
    assert suspended.probation_ratings_left == settings.PROBATION_RATINGS


@pytest.mark.requirement("R-VET-7")
def test_probation_waits_for_every_retraining_course(courses, staff):
    CourseFactory(code="retraining-2", name="Retraining 2", is_retraining=True)
    provider = ProviderFactory()
    suspend_provider(provider=provider, actor=None, reason="Low ratings")
    first, second = Enrollment.objects.filter(provider=provider).order_by("pk")
    grade_enrollment(enrollment=first, score=90, actor=staff)
    provider.refresh_from_db()
    assert provider.status == ProviderStatus.SUSPENDED
    grade_enrollment(enrollment=second, score=90, actor=staff)
    provider.refresh_from_db()
    assert provider.status == ProviderStatus.PROBATION


@pytest.mark.requirement("R-VET-7")
def test_a_retraining_grade_for_someone_not_suspended_changes_no_status(courses, staff):
    provider = ProviderFactory()  # active
    enrollment = EnrollmentFactory(
        provider=provider, course=courses["retraining"], purpose=EnrollmentPurpose.RETRAINING
    )
    grade_enrollment(enrollment=enrollment, score=90, actor=staff)
    provider.refresh_from_db()
    assert provider.status == ProviderStatus.ACTIVE
    assert ProviderEvent.objects.filter(provider=provider).count() == 0


# The commitment text (R-VET-5) -----------------------------------------------------------------


@pytest.fixture
def admin_client_(client, operator):
    client.force_login(operator)
    return client


def text_data(text, **overrides):
    return {
        "version": text.version,
        "language": text.language,
        "title": text.title,
        "body": text.body,
        **overrides,
    }


@pytest.mark.requirement("R-VET-5")
def test_an_unsigned_commitment_text_can_be_corrected(admin_client_):
    text = CommitmentTextFactory()
    url = reverse("admin:providers_commitmenttext_change", args=[text.pk])
    response = admin_client_.post(url, text_data(text, title="Our commitment to quality"))
    assert response.status_code == 302
    text.refresh_from_db()
    assert text.title == "Our commitment to quality"


@pytest.mark.requirement("R-VET-5")
def test_a_signed_commitment_version_is_read_only_and_needs_a_new_version(admin_client_):
    english = CommitmentTextFactory()
    persian = CommitmentTextFactory(language="fa", title="تعهدنامه", body="متن")
    sign(persian)
    for text in (english, persian):  # any signature freezes every language of the version
        url = reverse("admin:providers_commitmenttext_change", args=[text.pk])
        page = admin_client_.get(url)
        assert page.status_code == 200
        assert page.context["adminform"].form.fields == {}
        assert admin_client_.post(url, text_data(text, body="Changed")).status_code == 403
        delete = reverse("admin:providers_commitmenttext_delete", args=[text.pk])
        assert admin_client_.post(delete, {"post": "yes"}).status_code == 403
    english.refresh_from_db()
    persian.refresh_from_db()
    assert (english.body, persian.body) == (
        "I arrive on time and treat the customer's home with care.",
        "متن",
    )
    response = admin_client_.post(
        reverse("admin:providers_commitmenttext_add"),
        text_data(english, version=2, body="I arrive on time, every time."),
    )
    assert response.status_code == 302
    assert CommitmentText.objects.get(version=2, language="en").body == (
        "I arrive on time, every time."
    )


# Admin -----------------------------------------------------------------------------------------


@pytest.mark.requirement("R-VET-5")
def test_admin_grade_action_asks_for_each_score_then_grades(admin_client_, operator, courses):
    passing = EnrollmentFactory(course=courses["technique"])
    failing = EnrollmentFactory(course=courses["care"])
    skipped = EnrollmentFactory(course=courses["technique"])
    url = reverse("admin:providers_enrollment_changelist")
    selected = [passing.pk, failing.pk, skipped.pk]
    ask = admin_client_.post(url, {"action": "grade", "_selected_action": selected})
    assert ask.status_code == 200
    assert set(ask.context["form"].fields) == {f"score_{pk}" for pk in selected}
    assert Enrollment.objects.filter(passed__isnull=False).count() == 0
    bad = admin_client_.post(
        url,
        {"action": "grade", "_selected_action": selected, "apply": "1", f"score_{passing.pk}": 101},
    )
    assert bad.status_code == 200 and bad.context["form"].errors
    assert Enrollment.objects.filter(passed__isnull=False).count() == 0
    admin_client_.post(
        url,
        {
            "action": "grade",
            "_selected_action": selected,
            "apply": "1",
            f"score_{passing.pk}": "70",
            f"score_{failing.pk}": "79",
            f"score_{skipped.pk}": "",
        },
    )
    rows = {
        e.pk: (e.score, e.passed, e.graded_by) for e in Enrollment.objects.filter(pk__in=selected)
    }
    assert rows == {
        passing.pk: (70, True, operator),
        failing.pk: (79, False, operator),
        skipped.pk: (None, None, None),
    }


@pytest.mark.requirement("R-VET-5")
def test_admin_flag_action_asks_for_the_note(admin_client_, operator, courses):
    enrollment = EnrollmentFactory(course=courses["technique"])
    url = reverse("admin:providers_enrollment_changelist")
    ask = admin_client_.post(
        url, {"action": "flag_weak_learner", "_selected_action": [enrollment.pk]}
    )
    assert ask.status_code == 200 and "note" in ask.context["form"].fields
    admin_client_.post(
        url,
        {
            "action": "flag_weak_learner",
            "_selected_action": [enrollment.pk],
            "apply": "1",
            "note": "Did not understand the chemical safety rules",
        },
    )
    enrollment.refresh_from_db()
    enrollment.provider.refresh_from_db()
    assert enrollment.flagged_weak is True
    assert enrollment.flag_note == "Did not understand the chemical safety rules"
    assert enrollment.provider.status == ProviderStatus.UNDER_REVIEW


@pytest.mark.requirement("R-VET-5")
def test_admin_enrolment_page_edits_only_the_session(admin_client_, courses):
    enrollment = EnrollmentFactory(course=courses["technique"])
    session = TrainingSessionFactory(course=courses["technique"])
    other_course_session = TrainingSessionFactory(course=courses["care"])
    url = reverse("admin:providers_enrollment_change", args=[enrollment.pk])
    assert set(admin_client_.get(url).context["adminform"].form.fields) == {"session"}
    wrong = admin_client_.post(url, {"session": other_course_session.pk, "score": "100"})
    assert wrong.status_code == 200
    admin_client_.post(url, {"session": session.pk, "score": "100", "passed": "on"})
    enrollment.refresh_from_db()
    assert (enrollment.session, enrollment.score, enrollment.passed) == (session, None, None)


@pytest.mark.requirement("R-VET-5")
def test_admin_enrolments_filter_by_course_passed_and_flagged(admin_client_, courses, staff):
    graded = EnrollmentFactory(course=courses["technique"])
    grade_enrollment(enrollment=graded, score=90, actor=staff)
    flagged = EnrollmentFactory(course=courses["care"])
    flag_weak_learner(enrollment=flagged, actor=staff, note="Weak")
    EnrollmentFactory(course=courses["care"])
    url = reverse("admin:providers_enrollment_changelist")

    def count(**params):
        return admin_client_.get(url, params).context["cl"].result_count

    assert count() == 3
    assert count(course__id__exact=courses["care"].pk) == 2
    assert count(passed__exact=1) == 1
    assert count(flagged_weak__exact=1) == 1


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def make_rows(count, courses, staff):
    for number in range(count):
        session = TrainingSessionFactory(course=courses["technique"])
        enrollment = EnrollmentFactory(course=courses["technique"], session=session)
        if number % 2:
            grade_enrollment(enrollment=enrollment, score=80, actor=staff)
        text = CommitmentTextFactory(version=CommitmentText.objects.count() + 10)
        sign(text)


@pytest.mark.requirement("R-VET-5")
@pytest.mark.parametrize(
    "url_name",
    [
        "admin:providers_enrollment_changelist",
        "admin:providers_trainingsession_changelist",
        "admin:providers_commitmenttext_changelist",
        "admin:providers_course_changelist",
    ],
)
def test_training_lists_keep_a_constant_number_of_queries(
    admin_client_, courses, staff, url_name, django_assert_max_num_queries
):
    url = reverse(url_name)
    make_rows(3, courses, staff)
    with_three = count_queries(admin_client_, url)
    make_rows(17, courses, staff)
    with django_assert_max_num_queries(with_three):
        response = admin_client_.get(url)
    assert response.status_code == 200
    assert with_three <= 12


@pytest.mark.requirement("R-VET-5")
def test_provider_page_lists_training_scores_read_only_with_links(admin_client_, courses, staff):
    enrollment = EnrollmentFactory(course=courses["technique"])
    grade_enrollment(enrollment=enrollment, score=83, actor=staff)
    page = admin_client_.get(
        reverse("admin:providers_provider_change", args=[enrollment.provider_id])
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert reverse("admin:providers_enrollment_change", args=[enrollment.pk]) in html
    assert "Cleaning technique" in html
    assert 'name="enrollments-0-score"' not in html


@pytest.mark.requirement("R-VET-5")
def test_a_vetting_operator_grades_through_the_admin(client, courses, staff):
    enrollment = EnrollmentFactory(course=courses["technique"])
    client.force_login(staff)  # not a superuser: group permissions
    client.post(
        reverse("admin:providers_enrollment_changelist"),
        {
            "action": "grade",
            "_selected_action": [enrollment.pk],
            "apply": "1",
            f"score_{enrollment.pk}": "75",
        },
    )
    enrollment.refresh_from_db()
    assert (enrollment.score, enrollment.passed, enrollment.graded_by) == (75, True, staff)
