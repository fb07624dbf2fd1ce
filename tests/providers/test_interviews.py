"""Interviews and scorecards (R-VET-3): scheduling, the weighted scorecard, cancel and no-show,
and the admin forms that go through the same services."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Permission
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from providers.models import (
    Interview,
    InterviewStatus,
    ProviderEvent,
    ProviderStatus,
    Scorecard,
)
from providers.services import interviews
from providers.services.interviews import (
    InterviewError,
    cancel_interview,
    record_scorecard,
    schedule_interview,
)
from providers.services.lifecycle import ProviderTransitionError
from tests.factories import CustomerFactory, OperatorFactory, local_datetime

from .interview_factories import InterviewFactory, StaffFactory, applicant, vetting_staff

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=ZoneInfo("Asia/Tehran"))
ALL_FOUR = {
    "physical_ability": 4,
    "skills": 4,
    "appearance_ethics": 4,
    "responsibility": 4,
    "discipline": 4,
    "honesty": 4,
}


@pytest.fixture(autouse=True)
def _frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def interviewer(db):
    return OperatorFactory(full_name="Ivan Interviewer")


@pytest.fixture
def screened(db):
    return applicant(ProviderStatus.SCREENED, user__full_name="Maryam Applicant")


def tomorrow_at(hour, minute=0):
    return local_datetime(1, hour, minute)


def snapshot(provider):
    """Everything a refused action must leave as it was."""
    provider.refresh_from_db()
    return (
        provider.status,
        ProviderEvent.objects.filter(provider=provider).count(),
        list(Interview.objects.values_list("pk", "status")),
        Scorecard.objects.count(),
    )


def schedule(provider, interviewer, starts_at, actor=None):
    return schedule_interview(
        provider=provider,
        interviewer=interviewer,
        starts_at=starts_at,
        location="Head office, room 3",
        actor=actor or interviewer,
    )


def uses_migrated_postgresql(request) -> bool:
    return connection.vendor == "postgresql" and not request.config.getoption("nomigrations")


# Scheduling ------------------------------------------------------------------------------------


@pytest.mark.requirement("R-VET-3", "R-SEC-2")
def test_scheduling_books_the_interviewer_and_tells_the_applicant(
    screened, interviewer, operator, sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        interview = schedule(screened, interviewer, tomorrow_at(10), actor=operator)

    interview.refresh_from_db()
    assert interview.provider == screened
    assert interview.interviewer == interviewer
    assert interview.scheduled_by == operator
    assert interview.status == InterviewStatus.SCHEDULED
    assert interview.starts_at == datetime(2026, 3, 11, 10, 0, tzinfo=ZoneInfo("Asia/Tehran"))
    assert interview.ends_at - interview.starts_at == timedelta(minutes=45)
    assert interview.location == "Head office, room 3"
    screened.refresh_from_db()
    assert screened.status == ProviderStatus.INTERVIEW_SCHEDULED
    event = ProviderEvent.objects.get(provider=screened)
    assert (event.from_status, event.to_status, event.actor, event.reason) == (
        "screened",
        "interview_scheduled",
        operator,
        "Interview scheduled",
    )
    # One message, with the time and the place (not a second, generic status message).
    assert sms_outbox == [
        {
            "to": str(screened.user.phone),
            "text": "Your interview: 2026-03-11 10:00, Head office, room 3. Come to your "
            "interview on time, with your original identity documents.",
        }
    ]


@pytest.mark.requirement("R-VET-3")
def test_an_applicant_with_an_email_address_also_gets_the_invitation_by_email(
    screened, interviewer, mailoutbox, django_capture_on_commit_callbacks
):
    screened.user.email = "maryam@example.com"
    screened.user.save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        schedule(screened, interviewer, tomorrow_at(10))
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert (mail.to, mail.subject) == (["maryam@example.com"], "Your interview is scheduled")
    assert mail.body.startswith(
        "Hello Maryam,\n\nYou are invited to an interview on 2026-03-11 10:00 at this place: "
        "Head office, room 3.\nThe interview takes about 45 minutes.\n"
    )


@pytest.mark.requirement("R-VET-3")
def test_interview_length_comes_from_the_setting(screened, interviewer, settings):
    settings.INTERVIEW_MINUTES = 30
    interview = schedule(screened, interviewer, tomorrow_at(10))
    assert interview.ends_at == tomorrow_at(10, 30)


@pytest.mark.requirement("R-VET-3")
@pytest.mark.parametrize("starts_at", [NOW - timedelta(minutes=1), NOW])
def test_an_interview_in_the_past_is_refused(
    screened, interviewer, starts_at, sms_outbox, django_capture_on_commit_callbacks
):
    before = snapshot(screened)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(InterviewError) as error:
        schedule(screened, interviewer, starts_at)
    assert error.value.messages == ["The interview must start in the future."]
    assert snapshot(screened) == before
    assert sms_outbox == []


@pytest.mark.requirement("R-VET-3")
@pytest.mark.parametrize(
    "make_interviewer",
    [
        lambda: CustomerFactory(),
        lambda: StaffFactory(is_staff=False),
        lambda: OperatorFactory(is_active=False),
    ],
    ids=["customer", "not-staff", "inactive-staff"],
)
def test_the_interviewer_must_be_active_staff(screened, operator, make_interviewer):
    before = snapshot(screened)
    with pytest.raises(InterviewError) as error:
        schedule(screened, make_interviewer(), tomorrow_at(10), actor=operator)
    assert error.value.messages == ["The interviewer must be an active staff member."]
    assert snapshot(screened) == before


@pytest.mark.requirement("R-VET-3")
def test_an_overlapping_interview_for_the_same_interviewer_is_refused_and_nothing_saved(
    screened, interviewer, sms_outbox, django_capture_on_commit_callbacks
):
    first = schedule(applicant(), interviewer, tomorrow_at(10))
    before = snapshot(screened)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(InterviewError) as error:
        schedule(screened, interviewer, tomorrow_at(10, 30))
    assert error.value.messages == ["This interviewer already has an interview at that time."]
    assert snapshot(screened) == before
    assert list(Interview.objects.all()) == [first]
    assert sms_outbox == []


@pytest.mark.requirement("R-VET-3")
@pytest.mark.parametrize(("hour", "minute"), [(10, 45), (9, 15)])
def test_back_to_back_interviews_are_allowed(screened, interviewer, hour, minute):
    schedule(applicant(), interviewer, tomorrow_at(10))  # 10:00-10:45
    second = schedule(screened, interviewer, tomorrow_at(hour, minute))
    assert second.status == InterviewStatus.SCHEDULED
    assert Interview.objects.filter(interviewer=interviewer).count() == 2


@pytest.mark.requirement("R-VET-3")
def test_another_interviewer_or_a_cancelled_interview_does_not_block_the_time(
    screened, interviewer, operator
):
    cancelled = schedule(applicant(), interviewer, tomorrow_at(10))
    cancel_interview(interview=cancelled, actor=operator, reason="Interviewer is ill")
    schedule(applicant(), OperatorFactory(), tomorrow_at(10))
    interview = schedule(screened, interviewer, tomorrow_at(10))
    assert interview.status == InterviewStatus.SCHEDULED


@pytest.mark.requirement("R-VET-3")
@pytest.mark.parametrize(
    "status",
    [ProviderStatus.APPLIED, ProviderStatus.INTERVIEW_SCHEDULED, ProviderStatus.REJECTED],
)
def test_only_a_screened_applicant_can_be_invited(interviewer, status):
    provider = applicant(status)
    before = snapshot(provider)
    with pytest.raises(ProviderTransitionError):
        schedule(provider, interviewer, tomorrow_at(10))
    assert snapshot(provider) == before


@pytest.mark.requirement("R-VET-3")
def test_the_database_refuses_overlapping_interviews_itself(request, interviewer):
    """The exclusion constraint of providers/migrations/0002 (PostgreSQL only)."""
    if not uses_migrated_postgresql(request):
        pytest.skip("the exclusion constraint is created by a PostgreSQL migration")
    InterviewFactory(interviewer=interviewer, starts_at=tomorrow_at(10))
    with (
        pytest.raises(IntegrityError, match="interview_interviewer_no_overlap"),
        transaction.atomic(),
    ):
        InterviewFactory(interviewer=interviewer, starts_at=tomorrow_at(10, 30))
    # Cancelled interviews are outside the constraint.
    Interview.objects.update(status=InterviewStatus.CANCELLED)
    InterviewFactory(interviewer=interviewer, starts_at=tomorrow_at(10, 30))


@pytest.mark.requirement("R-VET-3")
def test_a_race_caught_by_the_constraint_gets_the_same_clear_message(
    request, screened, interviewer, monkeypatch
):
    """Were the locked check ever passed (two servers, a bug), the constraint's IntegrityError
    becomes the same refusal, with the applicant left as they were."""
    if not uses_migrated_postgresql(request):
        pytest.skip("the exclusion constraint is created by a PostgreSQL migration")
    InterviewFactory(interviewer=interviewer, starts_at=tomorrow_at(10))
    monkeypatch.setattr(interviews, "_interviewer_is_busy", lambda **kwargs: False)
    before = snapshot(screened)
    with pytest.raises(InterviewError) as error:
        schedule(screened, interviewer, tomorrow_at(10, 30))
    assert error.value.messages == ["This interviewer already has an interview at that time."]
    assert snapshot(screened) == before


# Scorecards ------------------------------------------------------------------------------------


@pytest.fixture
def interview(screened, interviewer):
    return schedule(screened, interviewer, tomorrow_at(10))


@pytest.mark.requirement("R-VET-3", "R-SEC-2")
def test_all_fours_with_honesty_two_is_three_and_a_half_and_fails(interview, interviewer):
    # Default weights 1, 1.5, 1, 1.5, 1, 2 (total 8): (4 * 6 + 2 * 2) / 8 = 3.5 < 3.8.
    scorecard = record_scorecard(
        interview=interview,
        scores={**ALL_FOUR, "honesty": 2},
        notes={"honesty": "Contradicted her own work history"},
        actor=interviewer,
    )
    scorecard.refresh_from_db()
    assert scorecard.weighted_score == Decimal("3.50")
    assert scorecard.pass_mark == Decimal("3.80")
    assert scorecard.passed is False
    assert scorecard.honesty == 2
    assert scorecard.honesty_notes == "Contradicted her own work history"
    assert scorecard.skills_notes == ""
    assert scorecard.weights == {
        "physical_ability": 1.0,
        "skills": 1.5,
        "appearance_ethics": 1.0,
        "responsibility": 1.5,
        "discipline": 1.0,
        "honesty": 2.0,
    }
    assert scorecard.recorded_by == interviewer
    interview.refresh_from_db()
    assert interview.status == InterviewStatus.DONE
    provider = interview.provider
    provider.refresh_from_db()
    assert provider.status == ProviderStatus.REJECTED
    event = ProviderEvent.objects.filter(provider=provider).first()
    assert (event.from_status, event.to_status, event.reason_code, event.actor) == (
        "interview_scheduled",
        "rejected",
        "failed_interview",
        interviewer,
    )


@pytest.mark.requirement("R-VET-3")
def test_all_fours_pass_and_the_applicant_is_interviewed(interview, interviewer):
    scorecard = record_scorecard(interview=interview, scores=ALL_FOUR, actor=interviewer)
    assert (scorecard.weighted_score, scorecard.passed) == (Decimal("4.00"), True)
    provider = interview.provider
    provider.refresh_from_db()
    assert provider.status == ProviderStatus.INTERVIEWED
    event = ProviderEvent.objects.filter(provider=provider).first()
    assert (event.to_status, event.reason_code, event.reason) == (
        "interviewed",
        "",
        "Interview passed",
    )


@pytest.mark.requirement("R-VET-3")
@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        # (5*1 + 4*1.5 + 4*1 + 4*1.5 + 4*1 + 4*2) / 8 = 33 / 8 = 4.125 -> 4.13 (half up)
        ({**ALL_FOUR, "physical_ability": 5}, Decimal("4.13")),
        # (1 + 1.5 + 1 + 1.5 + 1 + 5*2) / 8 = 16 / 8
        ({**dict.fromkeys(ALL_FOUR, 1), "honesty": 5}, Decimal("2.00")),
        (dict.fromkeys(ALL_FOUR, 5), Decimal("5.00")),
    ],
)
def test_weighted_score_is_the_normalised_weighted_mean_rounded_half_up(
    interview, interviewer, scores, expected
):
    scorecard = record_scorecard(interview=interview, scores=scores, actor=interviewer)
    assert scorecard.weighted_score == expected


@pytest.mark.requirement("R-VET-3")
@pytest.mark.parametrize(
    ("pass_mark", "passed", "status"),
    [
        (3.25, True, ProviderStatus.INTERVIEWED),  # exactly at the mark passes
        (3.26, False, ProviderStatus.REJECTED),
    ],
)
def test_configured_weights_and_pass_mark_decide(
    interview, interviewer, settings, pass_mark, passed, status
):
    settings.INTERVIEW_WEIGHTS = {**dict.fromkeys(ALL_FOUR, 1), "honesty": 3}
    settings.INTERVIEW_PASS_MARK = pass_mark
    # (4 * 5 + 2 * 3) / 8 = 3.25
    scorecard = record_scorecard(
        interview=interview, scores={**ALL_FOUR, "honesty": 2}, actor=interviewer
    )
    assert scorecard.weighted_score == Decimal("3.25")
    assert scorecard.pass_mark == Decimal(str(pass_mark))
    assert scorecard.weights["honesty"] == 3
    assert scorecard.passed is passed
    interview.provider.refresh_from_db()
    assert interview.provider.status == status


@pytest.mark.requirement("R-VET-3")
@pytest.mark.parametrize(
    "scores",
    [
        {**ALL_FOUR, "honesty": 0},
        {**ALL_FOUR, "skills": 6},
        {k: v for k, v in ALL_FOUR.items() if k != "discipline"},
        {**ALL_FOUR, "discipline": None},
        {**ALL_FOUR, "discipline": "4"},
        {**ALL_FOUR, "discipline": True},
        {**ALL_FOUR, "discipline": 3.5},
        {**ALL_FOUR, "charm": 5},
    ],
    ids=["zero", "six", "missing", "none", "text", "bool", "fraction", "unknown"],
)
def test_a_score_outside_one_to_five_or_missing_is_refused(interview, interviewer, scores):
    before = snapshot(interview.provider)
    with pytest.raises(InterviewError):
        record_scorecard(interview=interview, scores=scores, actor=interviewer)
    assert snapshot(interview.provider) == before
    interview.refresh_from_db()
    assert interview.status == InterviewStatus.SCHEDULED


@pytest.mark.requirement("R-VET-3")
def test_only_the_interviewer_or_a_superuser_records_the_scorecard(interview):
    before = snapshot(interview.provider)
    for stranger in (vetting_staff(), StaffFactory()):
        with pytest.raises(InterviewError) as error:
            record_scorecard(interview=interview, scores=ALL_FOUR, actor=stranger)
        assert error.value.messages == ["Only the interviewer can record the scorecard."]
    assert snapshot(interview.provider) == before
    superuser = OperatorFactory()
    assert record_scorecard(interview=interview, scores=ALL_FOUR, actor=superuser).passed


@pytest.mark.requirement("R-VET-3")
def test_a_second_scorecard_is_refused(interview, interviewer):
    first = record_scorecard(interview=interview, scores=ALL_FOUR, actor=interviewer)
    before = snapshot(interview.provider)
    with pytest.raises(InterviewError) as error:
        record_scorecard(interview=interview, scores=dict.fromkeys(ALL_FOUR, 1), actor=interviewer)
    assert error.value.messages == ["This interview already has a scorecard."]
    assert snapshot(interview.provider) == before
    assert Scorecard.objects.get() == first


@pytest.mark.requirement("R-VET-3")
def test_a_cancelled_interview_cannot_be_scored(interview, interviewer):
    cancel_interview(interview=interview, actor=interviewer, reason="Moved")
    with pytest.raises(InterviewError) as error:
        record_scorecard(interview=interview, scores=ALL_FOUR, actor=interviewer)
    assert error.value.messages == ["Only a scheduled interview can be scored."]
    assert Scorecard.objects.count() == 0


# Cancel and no-show ----------------------------------------------------------------------------


@pytest.mark.requirement("R-VET-3", "R-SEC-2")
def test_cancelling_sends_the_applicant_back_to_screened_to_be_invited_again(
    interview, interviewer, operator
):
    cancel_interview(interview=interview, actor=operator, reason="Interviewer is ill")
    interview.refresh_from_db()
    assert interview.status == InterviewStatus.CANCELLED
    provider = interview.provider
    provider.refresh_from_db()
    assert provider.status == ProviderStatus.SCREENED
    event = ProviderEvent.objects.filter(provider=provider).first()
    assert (event.from_status, event.to_status, event.actor, event.reason) == (
        "interview_scheduled",
        "screened",
        operator,
        "Interviewer is ill",
    )
    again = schedule(provider, interviewer, tomorrow_at(10))  # the same slot is free again
    assert again.status == InterviewStatus.SCHEDULED


@pytest.mark.requirement("R-VET-3", "R-SEC-2")
def test_a_no_show_rejects_the_applicant(interview, operator):
    cancel_interview(interview=interview, actor=operator, reason="Did not come", no_show=True)
    interview.refresh_from_db()
    assert interview.status == InterviewStatus.NO_SHOW
    provider = interview.provider
    provider.refresh_from_db()
    assert provider.status == ProviderStatus.REJECTED
    event = ProviderEvent.objects.filter(provider=provider).first()
    assert (event.to_status, event.reason_code, event.reason) == (
        "rejected",
        "no_show",
        "Did not come",
    )


@pytest.mark.requirement("R-VET-3")
def test_cancelling_needs_a_reason_and_a_scheduled_interview(interview, interviewer, operator):
    before = snapshot(interview.provider)
    with pytest.raises(InterviewError):
        cancel_interview(interview=interview, actor=operator, reason="  ")
    assert snapshot(interview.provider) == before
    record_scorecard(interview=interview, scores=ALL_FOUR, actor=interviewer)
    before = snapshot(interview.provider)
    for no_show in (False, True):
        with pytest.raises(InterviewError) as error:
            cancel_interview(interview=interview, actor=operator, reason="x", no_show=no_show)
        assert error.value.messages == ["Only a scheduled interview can be cancelled."]
    assert snapshot(interview.provider) == before


# Admin -----------------------------------------------------------------------------------------


@pytest.fixture
def admin_client_(client, operator):
    client.force_login(operator)
    return client


def add_interview_data(provider, interviewer, when):
    local = timezone.localtime(when)
    return {
        "provider": provider.pk,
        "interviewer": interviewer.pk,
        "starts_at_0": local.strftime("%Y-%m-%d"),
        "starts_at_1": local.strftime("%H:%M"),
        "location": "Head office, room 3",
    }


@pytest.mark.requirement("R-VET-3", "R-SEC-2")
def test_admin_add_interview_goes_through_the_service(
    admin_client_, operator, screened, interviewer
):
    url = reverse("admin:providers_interview_add")
    page = admin_client_.get(url, {"provider": screened.pk})
    form = page.context["adminform"].form
    assert set(form.fields) == {"provider", "interviewer", "starts_at", "location"}
    assert str(form.initial["provider"]) == str(screened.pk)
    response = admin_client_.post(
        url,
        {**add_interview_data(screened, interviewer, tomorrow_at(10)), "status": "done"},
    )
    assert response.status_code == 302
    interview = Interview.objects.get()
    assert interview.status == InterviewStatus.SCHEDULED
    assert interview.ends_at == tomorrow_at(10, 45)
    assert interview.scheduled_by == operator
    screened.refresh_from_db()
    assert screened.status == ProviderStatus.INTERVIEW_SCHEDULED
    assert ProviderEvent.objects.filter(provider=screened, actor=operator).count() == 1


@pytest.mark.requirement("R-VET-3")
def test_admin_add_interview_shows_a_refusal_as_a_form_error_and_saves_nothing(
    admin_client_, screened, interviewer
):
    schedule(applicant(), interviewer, tomorrow_at(10))
    before = snapshot(screened)
    response = admin_client_.post(
        reverse("admin:providers_interview_add"),
        add_interview_data(screened, interviewer, tomorrow_at(10, 15)),
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [
        "This interviewer already has an interview at that time."
    ]
    assert snapshot(screened) == before


@pytest.mark.requirement("R-VET-3")
def test_admin_interview_page_is_read_only_and_links_to_the_scorecard(admin_client_, interview):
    url = reverse("admin:providers_interview_change", args=[interview.pk])
    page = admin_client_.get(url)
    assert page.status_code == 200
    assert page.context["adminform"].form.fields == {}
    add_scorecard = reverse("admin:providers_scorecard_add") + f"?interview={interview.pk}"
    assert add_scorecard in page.content.decode()
    assert admin_client_.post(url, {"location": "Elsewhere"}).status_code == 403
    interview.refresh_from_db()
    assert interview.location == "Head office, room 3"


def scorecard_data(interview, **scores):
    data = {"interview": interview.pk, **{**ALL_FOUR, **scores}}
    data["honesty_notes"] = "Open about a gap in her work history"
    return data


@pytest.mark.requirement("R-VET-3")
def test_admin_scorecard_form_calls_the_service_and_ignores_computed_fields(
    client, interview, interviewer
):
    client.force_login(interviewer)
    url = reverse("admin:providers_scorecard_add")
    form = client.get(url, {"interview": interview.pk}).context["adminform"].form
    assert not {"weighted_score", "pass_mark", "weights", "passed"} & set(form.fields)
    response = client.post(
        url,
        {**scorecard_data(interview, honesty=2), "weighted_score": "5", "passed": "on"},
    )
    assert response.status_code == 302
    scorecard = Scorecard.objects.get()
    assert (scorecard.weighted_score, scorecard.passed) == (Decimal("3.50"), False)
    assert scorecard.honesty_notes == "Open about a gap in her work history"
    assert scorecard.recorded_by == interviewer
    interview.provider.refresh_from_db()
    assert interview.provider.status == ProviderStatus.REJECTED
    # Read-only afterwards: the change page has no inputs and refuses a POST.
    change = reverse("admin:providers_scorecard_change", args=[scorecard.pk])
    assert client.get(change).context["adminform"].form.fields == {}
    assert client.post(change, {"passed": "on"}).status_code == 403
    scorecard.refresh_from_db()
    assert scorecard.passed is False


@pytest.mark.requirement("R-VET-3")
def test_admin_scorecard_for_someone_elses_interview_is_refused_and_saves_nothing(
    client, interview
):
    staff = vetting_staff()
    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_scorecard", "view_scorecard"])
    )
    client.force_login(staff)
    url = reverse("admin:providers_scorecard_add")
    choices = client.get(url).context["adminform"].form.fields["interview"].queryset
    assert list(choices) == []  # only one's own interviews are offered
    before = snapshot(interview.provider)
    response = client.post(url, scorecard_data(interview))
    assert response.status_code == 200
    assert "interview" in response.context["adminform"].form.errors
    assert snapshot(interview.provider) == before


@pytest.mark.requirement("R-VET-3")
def test_admin_scorecard_form_shows_a_service_refusal_as_a_form_error(
    admin_client_, interview, settings
):
    """A refusal from record_scorecard itself (here a second scorecard raced in between the
    page and the submit) is shown on the form; nothing is saved."""
    url = reverse("admin:providers_scorecard_add")
    form_class = admin_client_.get(url).context["adminform"].form.__class__
    record_scorecard(interview=interview, scores=ALL_FOUR, actor=interview.interviewer)
    before = snapshot(interview.provider)
    form = form_class(data=scorecard_data(interview))
    form.fields["interview"].queryset = Interview.objects.all()
    assert not form.is_valid()
    assert form.non_field_errors() == ["This interview already has a scorecard."]
    assert snapshot(interview.provider) == before


@pytest.mark.requirement("R-VET-3")
@pytest.mark.parametrize("score", ["0", "6", ""])
def test_admin_scorecard_refuses_out_of_range_scores(admin_client_, interview, score):
    response = admin_client_.post(
        reverse("admin:providers_scorecard_add"), scorecard_data(interview, skills=score)
    )
    assert response.status_code == 200
    assert "skills" in response.context["adminform"].form.errors
    assert Scorecard.objects.count() == 0


@pytest.mark.requirement("R-VET-3", "R-SEC-2")
def test_admin_cancel_and_no_show_actions_ask_for_a_reason(admin_client_, operator, interviewer):
    kept, gone = applicant(), applicant()
    first = schedule(kept, interviewer, tomorrow_at(10))
    second = schedule(gone, interviewer, tomorrow_at(11))
    url = reverse("admin:providers_interview_changelist")
    ask = admin_client_.post(url, {"action": "cancel_interviews", "_selected_action": [first.pk]})
    assert ask.status_code == 200 and "Reason" in ask.content.decode()
    first.refresh_from_db()
    assert first.status == InterviewStatus.SCHEDULED
    admin_client_.post(
        url,
        {
            "action": "cancel_interviews",
            "_selected_action": [first.pk],
            "apply": "1",
            "reason": "Applicant asked for another day",
        },
    )
    admin_client_.post(
        url,
        {
            "action": "mark_no_show",
            "_selected_action": [second.pk],
            "apply": "1",
            "reason": "Waited 30 minutes",
        },
    )
    first.refresh_from_db()
    second.refresh_from_db()
    kept.refresh_from_db()
    gone.refresh_from_db()
    assert (first.status, kept.status) == ("cancelled", "screened")
    assert (second.status, gone.status) == ("no_show", "rejected")


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def make_interviews(count, *, scored):
    for _ in range(count):
        interview = InterviewFactory()
        if scored:
            record_scorecard(interview=interview, scores=ALL_FOUR, actor=interview.interviewer)


@pytest.mark.requirement("R-VET-3")
@pytest.mark.parametrize(
    ("url_name", "scored"),
    [
        ("admin:providers_interview_changelist", False),
        ("admin:providers_interview_changelist", True),
        ("admin:providers_scorecard_changelist", True),
    ],
)
def test_interview_and_scorecard_lists_keep_a_constant_number_of_queries(
    admin_client_, url_name, scored, django_assert_max_num_queries
):
    url = reverse(url_name)
    make_interviews(3, scored=scored)
    with_three = count_queries(admin_client_, url)
    make_interviews(17, scored=scored)
    with django_assert_max_num_queries(with_three):
        response = admin_client_.get(url)
    assert response.context["cl"].result_count == 20
    assert with_three <= 12


@pytest.mark.requirement("R-VET-3")
def test_a_vetting_operator_schedules_and_scores_through_the_admin(client, screened):
    operator = vetting_staff(full_name="Vera Vetting")  # not a superuser: group permissions
    client.force_login(operator)
    response = client.post(
        reverse("admin:providers_interview_add"),
        add_interview_data(screened, operator, tomorrow_at(10)),
    )
    assert response.status_code == 302
    interview = Interview.objects.get()
    response = client.post(reverse("admin:providers_scorecard_add"), scorecard_data(interview))
    assert response.status_code == 302
    screened.refresh_from_db()
    assert screened.status == ProviderStatus.INTERVIEWED


@pytest.mark.requirement("R-VET-3")
def test_provider_page_lists_interviews_read_only_with_links(admin_client_, interview):
    record_scorecard(interview=interview, scores=ALL_FOUR, actor=interview.interviewer)
    page = admin_client_.get(
        reverse("admin:providers_provider_change", args=[interview.provider_id])
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert reverse("admin:providers_interview_change", args=[interview.pk]) in html
    assert "4.00 (passed)" in html
    assert 'name="interviews-0-location"' not in html  # shown, never editable
