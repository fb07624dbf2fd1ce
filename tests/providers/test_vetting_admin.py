"""The vetting console in the Django admin: the application list, one action per allowed
transition (each asking for its input first), the provider's record."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import StaffGroup
from core.admin.actions import BLOCKER_HTML
from core.crypto import keyed_hash
from providers.admin.core import InterviewerFilter
from providers.models import (
    Enrollment,
    EnrollmentPurpose,
    Interview,
    InterviewStatus,
    ProviderEvent,
    ProviderStatus,
    RejectionReason,
    SuspensionAppeal,
)
from providers.services import activation_blockers
from tests.factories import AreaFactory, OperatorFactory, ProviderFactory, SkillFactory

from .vetting_admin_factories import (
    ApplicantFactory,
    InterviewFactory,
    checked_documents,
    event,
    onboarding_course,
    passed_scorecard,
    ready_for_activation,
    retraining_course,
    staff_user,
    vetting_operator,
)

pytestmark = pytest.mark.django_db

S = ProviderStatus
CHANGELIST = reverse("admin:providers_provider_changelist")


@pytest.fixture
def vetting():
    return vetting_operator(full_name="Vida Vetting")


@pytest.fixture
def vetting_client(client, vetting):
    client.force_login(vetting)
    return client


def run_action(client, name, providers, **data):
    """Submit the action's second step (its form filled in) and follow to the list."""
    return client.post(
        CHANGELIST,
        {
            "action": name,
            "_selected_action": [p.pk for p in providers],
            "apply": "1",
            **data,
        },
        follow=True,
    )


def messages_of(response):
    return [(m.level_tag, str(m)) for m in response.context["messages"]]


def events_of(provider):
    return list(
        ProviderEvent.objects.filter(provider=provider)
        .order_by("at", "id")
        .values_list("from_status", "to_status", "actor_id", "reason_code", "reason")
    )


# Every action: the right transition, an event with the operator and the reason ---------------


@pytest.mark.requirement("R-VET-2", "R-SEC-2")
def test_screen_asks_for_a_reason_then_approves_the_application(vetting_client, vetting):
    applicant = ApplicantFactory()
    ask = vetting_client.post(CHANGELIST, {"action": "screen", "_selected_action": [applicant.pk]})
    assert ask.status_code == 200
    assert ask.context["form"].fields["reason"].required
    applicant.refresh_from_db()
    assert applicant.status == S.APPLIED
    assert not ProviderEvent.objects.exists()

    response = run_action(vetting_client, "screen", [applicant], reason="ID and phone match")

    applicant.refresh_from_db()
    assert applicant.status == S.SCREENED
    assert events_of(applicant) == [(S.APPLIED, S.SCREENED, vetting.pk, "", "ID and phone match")]
    assert messages_of(response) == [("success", "1 changed.")]


@pytest.mark.requirement("R-VET-2", "R-SEC-2")
def test_reject_records_the_reason_code_and_the_note(vetting_client, vetting):
    applicant = ApplicantFactory()
    ask = vetting_client.post(CHANGELIST, {"action": "reject", "_selected_action": [applicant.pk]})
    assert set(ask.context["form"].fields) == {"reason_code", "note"}

    run_action(
        vetting_client,
        "reject",
        [applicant],
        reason_code=RejectionReason.AREA_NOT_SERVED,
        note="Lives in Karaj",
    )

    applicant.refresh_from_db()
    assert applicant.status == S.REJECTED
    assert events_of(applicant) == [
        (S.APPLIED, S.REJECTED, vetting.pk, "area_not_served", "Lives in Karaj")
    ]


@pytest.mark.requirement("R-VET-2")
def test_reject_without_a_reason_code_asks_again_and_changes_nothing(vetting_client):
    applicant = ApplicantFactory()
    response = vetting_client.post(
        CHANGELIST,
        {"action": "reject", "_selected_action": [applicant.pk], "apply": "1", "note": "x"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"reason_code": ["This field is required."]}
    applicant.refresh_from_db()
    assert applicant.status == S.APPLIED
    assert not ProviderEvent.objects.exists()


@pytest.mark.requirement("R-VET-2", "R-SEC-2")
def test_reject_without_a_note_records_the_reason_label(vetting_client, vetting):
    applicant = ApplicantFactory(status=S.SCREENED)
    run_action(vetting_client, "reject", [applicant], reason_code=RejectionReason.INCOMPLETE)
    applicant.refresh_from_db()
    assert applicant.status == S.REJECTED
    assert events_of(applicant) == [
        (
            S.SCREENED,
            S.REJECTED,
            vetting.pk,
            "incomplete",
            "Application incomplete or inconsistent",
        )
    ]


@pytest.mark.requirement("R-VET-3", "R-SEC-2")
def test_schedule_interview_asks_interviewer_time_and_place(vetting_client, vetting):
    applicant = ApplicantFactory(status=S.SCREENED)
    interviewer = vetting_operator(full_name="Iman Interviewer")
    staff_user(StaffGroup.SUPPORT, full_name="Sam Support")  # not an interviewer
    ask = vetting_client.post(
        CHANGELIST, {"action": "schedule_interview", "_selected_action": [applicant.pk]}
    )
    assert ask.status_code == 200
    choices = {str(user) for user in ask.context["form"].fields["interviewer"].queryset}
    assert choices == {str(vetting), str(interviewer)}
    assert 'type="datetime-local"' in ask.content.decode()

    starts = timezone.localtime(timezone.now() + timedelta(days=3)).replace(
        hour=10, minute=30, second=0, microsecond=0
    )
    response = run_action(
        vetting_client,
        "schedule_interview",
        [applicant],
        interviewer=interviewer.pk,
        starts_at=starts.strftime("%Y-%m-%dT%H:%M"),
        location="Head office, room 2",
    )

    assert messages_of(response) == [("success", "1 changed.")]
    applicant.refresh_from_db()
    assert applicant.status == S.INTERVIEW_SCHEDULED
    interview = Interview.objects.get(provider=applicant)
    assert interview.interviewer == interviewer
    assert interview.starts_at == starts
    assert interview.ends_at == starts + timedelta(minutes=settings.INTERVIEW_MINUTES)
    assert interview.location == "Head office, room 2"
    assert interview.scheduled_by == vetting
    assert events_of(applicant) == [
        (S.SCREENED, S.INTERVIEW_SCHEDULED, vetting.pk, "", "Interview scheduled")
    ]


@pytest.mark.requirement("R-VET-3")
def test_schedule_interview_refuses_a_busy_interviewer_and_changes_nothing(vetting_client):
    busy = InterviewFactory()
    applicant = ApplicantFactory(status=S.SCREENED, user__full_name="Nasrin Applicant")
    response = run_action(
        vetting_client,
        "schedule_interview",
        [applicant],
        interviewer=busy.interviewer.pk,
        starts_at=timezone.localtime(busy.starts_at).strftime("%Y-%m-%dT%H:%M"),
        location="Head office",
    )
    assert messages_of(response) == [
        ("error", "Nasrin Applicant: This interviewer already has an interview at that time.")
    ]
    applicant.refresh_from_db()
    assert applicant.status == S.SCREENED
    assert not applicant.interviews.exists()
    assert not applicant.events.exists()


@pytest.mark.requirement("R-VET-3", "R-SEC-2")
@pytest.mark.parametrize(
    ("action", "interview_status", "provider_status", "reason_code"),
    [
        ("cancel_interview", InterviewStatus.CANCELLED, S.SCREENED, ""),
        ("interview_no_show", InterviewStatus.NO_SHOW, S.REJECTED, "no_show"),
    ],
)
def test_cancel_or_no_show_closes_the_scheduled_interview(
    vetting_client, vetting, action, interview_status, provider_status, reason_code
):
    interview = InterviewFactory()
    applicant = interview.provider
    run_action(vetting_client, action, [applicant], reason="Called, could not come")
    interview.refresh_from_db()
    applicant.refresh_from_db()
    assert interview.status == interview_status
    assert applicant.status == provider_status
    assert events_of(applicant) == [
        (
            S.INTERVIEW_SCHEDULED,
            provider_status,
            vetting.pk,
            reason_code,
            "Called, could not come",
        )
    ]


@pytest.mark.requirement("R-VET-4", "R-SEC-2")
def test_verify_identity_confirms_then_moves_to_identity_verified(vetting_client, vetting):
    applicant = ApplicantFactory(status=S.INTERVIEWED)
    passed_scorecard(applicant)
    checked_documents(applicant, checker=vetting)
    ask = vetting_client.post(
        CHANGELIST, {"action": "verify_identity", "_selected_action": [applicant.pk]}
    )
    assert ask.status_code == 200 and str(applicant) in ask.content.decode()

    run_action(vetting_client, "verify_identity", [applicant])

    applicant.refresh_from_db()
    assert applicant.status == S.IDENTITY_VERIFIED
    assert events_of(applicant) == [
        (
            S.INTERVIEWED,
            S.IDENTITY_VERIFIED,
            vetting.pk,
            "",
            "Identity documents and background certificate checked",
        )
    ]


@pytest.mark.requirement("R-VET-4")
def test_verify_identity_without_documents_lists_each_missing_one(vetting_client):
    applicant = ApplicantFactory(status=S.INTERVIEWED, user__full_name="Nasrin Applicant")
    response = run_action(vetting_client, "verify_identity", [applicant])
    [(level, text)] = messages_of(response)
    assert level == "error"
    assert text == "Nasrin Applicant: not changed, because:" + "".join(
        BLOCKER_HTML.format(blocker)
        for blocker in [
            "Not checked yet: Identity document scan.",
            "Not checked yet: Certificate of no criminal record.",
            "Not checked yet: Photo taken in person.",
        ]
    )
    applicant.refresh_from_db()
    assert applicant.status == S.INTERVIEWED
    assert not applicant.events.exists()


@pytest.mark.requirement("R-VET-5", "R-SEC-2")
def test_start_training_enrols_in_the_required_courses(vetting_client, vetting):
    course = onboarding_course()
    retraining_course()
    applicant = ApplicantFactory(status=S.IDENTITY_VERIFIED)
    run_action(vetting_client, "start_training", [applicant])
    applicant.refresh_from_db()
    assert applicant.status == S.IN_TRAINING
    assert list(Enrollment.objects.filter(provider=applicant).values_list("course", "purpose")) == [
        (course.pk, EnrollmentPurpose.ONBOARDING)
    ]
    assert events_of(applicant) == [
        (S.IDENTITY_VERIFIED, S.IN_TRAINING, vetting.pk, "", "Enrolled in training")
    ]


@pytest.mark.requirement("R-VET-5", "R-SEC-2")
def test_resume_training_after_the_review(vetting_client, vetting):
    applicant = ApplicantFactory(status=S.UNDER_REVIEW)
    run_action(vetting_client, "resume_training", [applicant], reason="Manager met her: keep")
    applicant.refresh_from_db()
    assert applicant.status == S.IN_TRAINING
    assert events_of(applicant) == [
        (S.UNDER_REVIEW, S.IN_TRAINING, vetting.pk, "", "Manager met her: keep")
    ]


@pytest.mark.requirement("R-VET-6", "R-SEC-2")
def test_activate_a_provider_who_passed_every_stage(vetting_client, vetting):
    provider = ready_for_activation(operator=vetting)
    assert activation_blockers(provider) == []
    response = run_action(vetting_client, "activate", [provider], reason="All stages passed")
    assert messages_of(response) == [("success", "1 changed.")]
    provider.refresh_from_db()
    assert provider.status == S.ACTIVE
    assert provider.vetting_completed_at is not None
    assert events_of(provider) == [
        (S.COMMITMENT_SIGNED, S.ACTIVE, vetting.pk, "", "All stages passed")
    ]


@pytest.mark.requirement("R-VET-6")
def test_activate_without_a_signed_commitment_changes_nothing_and_lists_every_blocker(
    vetting_client,
):
    onboarding_course()
    provider = ApplicantFactory(status=S.IN_TRAINING, user__full_name="Nasrin Applicant")
    blockers = activation_blockers(provider)
    assert blockers == [
        "The commitment is not signed yet.",
        "No passed interview scorecard.",
        "Not checked yet: Identity document scan.",
        "Not checked yet: Certificate of no criminal record.",
        "Not checked yet: Photo taken in person.",
        "Course not passed: Cleaning basics.",
        "No signed commitment on file.",
    ]

    response = run_action(vetting_client, "activate", [provider], reason="Looks fine")

    [(level, text)] = messages_of(response)
    assert level == "error"
    assert text == "Nasrin Applicant: not changed, because:" + "".join(
        BLOCKER_HTML.format(blocker) for blocker in blockers
    )
    page = response.content.decode()
    for blocker in blockers:
        assert BLOCKER_HTML.format(blocker) in page
    provider.refresh_from_db()
    assert provider.status == S.IN_TRAINING
    assert provider.vetting_completed_at is None
    assert not provider.events.exists()


@pytest.mark.requirement("R-VET-6")
def test_activate_with_the_status_but_no_signature_row_is_refused(vetting_client, vetting):
    # The status says signed, but no signature row is behind it.
    provider = ready_for_activation(
        operator=vetting, sign=False, user__full_name="Nasrin Applicant"
    )
    response = run_action(vetting_client, "activate", [provider], reason="Looks fine")
    assert messages_of(response) == [("error", "Nasrin Applicant: No signed commitment on file.")]
    provider.refresh_from_db()
    assert provider.status == S.COMMITMENT_SIGNED
    assert not provider.events.exists()


@pytest.mark.requirement("R-VET-6")
def test_one_refused_row_does_not_stop_the_others(vetting_client, vetting):
    ready = ready_for_activation(operator=vetting)
    incomplete = ApplicantFactory(status=S.IN_TRAINING)
    response = run_action(vetting_client, "activate", [ready, incomplete], reason="Batch")
    levels = [level for level, _text in messages_of(response)]
    assert sorted(levels) == ["error", "success"]
    ready.refresh_from_db()
    incomplete.refresh_from_db()
    assert (ready.status, incomplete.status) == (S.ACTIVE, S.IN_TRAINING)


@pytest.mark.requirement("R-VET-7", "R-SEC-2")
def test_suspend_for_retraining_assigns_the_retraining_course(vetting_client, vetting):
    course = retraining_course()
    provider = ProviderFactory()
    run_action(vetting_client, "suspend", [provider], reason="Three complaints this month")
    provider.refresh_from_db()
    assert provider.status == S.SUSPENDED
    assert list(
        Enrollment.objects.filter(provider=provider).values_list("course", "purpose", "passed")
    ) == [(course.pk, EnrollmentPurpose.RETRAINING, None)]
    assert events_of(provider) == [
        (S.ACTIVE, S.SUSPENDED, vetting.pk, "", "Three complaints this month")
    ]


@pytest.mark.requirement("R-VET-7", "R-SEC-2")
def test_probation_removal_review_and_the_managers_decisions(vetting_client, vetting):
    kept = ProviderFactory(status=S.SUSPENDED)
    removed = ProviderFactory(status=S.SUSPENDED)
    run_action(vetting_client, "place_on_probation", [kept, removed], reason="Retrained")
    kept.refresh_from_db()
    assert kept.status == S.PROBATION
    assert kept.probation_ratings_left == settings.PROBATION_RATINGS

    run_action(vetting_client, "open_removal_review", [kept, removed], reason="Low again")
    run_action(vetting_client, "reinstate", [kept], reason="Customers now satisfied")
    run_action(
        vetting_client,
        "remove",
        [removed],
        reason="Still late to every job",
        reason_code=RejectionReason.QUALITY,
    )

    kept.refresh_from_db()
    removed.refresh_from_db()
    assert (kept.status, removed.status) == (S.ACTIVE, S.REMOVED)
    assert kept.probation_ratings_left == 0
    assert events_of(kept) == [
        (S.SUSPENDED, S.PROBATION, vetting.pk, "", "Retrained"),
        (S.PROBATION, S.REMOVAL_REVIEW, vetting.pk, "", "Low again"),
        (S.REMOVAL_REVIEW, S.ACTIVE, vetting.pk, "", "Customers now satisfied"),
    ]
    assert events_of(removed)[-1] == (
        S.REMOVAL_REVIEW,
        S.REMOVED,
        vetting.pk,
        "quality",
        "Still late to every job",
    )


@pytest.mark.requirement("R-VET-7")
def test_remove_requires_a_reason_but_not_a_code(vetting_client, vetting):
    provider = ProviderFactory(status=S.REMOVAL_REVIEW)
    ask = vetting_client.post(
        CHANGELIST,
        {"action": "remove", "_selected_action": [provider.pk], "apply": "1", "reason": ""},
    )
    assert ask.context["form"].errors == {"reason": ["This field is required."]}
    provider.refresh_from_db()
    assert provider.status == S.REMOVAL_REVIEW
    run_action(vetting_client, "remove", [provider], reason="Arranged jobs privately")
    provider.refresh_from_db()
    assert provider.status == S.REMOVED
    assert events_of(provider)[-1][3:] == ("", "Arranged jobs privately")


@pytest.mark.requirement("R-VET-2")
def test_a_transition_the_lifecycle_forbids_is_reported_and_changes_nothing(vetting_client):
    provider = ProviderFactory(user__full_name="Maryam Provider")
    response = run_action(vetting_client, "screen", [provider], reason="By mistake")
    assert messages_of(response) == [
        ("error", "Maryam Provider: A provider who is active cannot become screened.")
    ]
    provider.refresh_from_db()
    assert provider.status == S.ACTIVE
    assert not provider.events.exists()


def test_support_staff_see_applications_but_have_no_actions(client):
    provider = ApplicantFactory()
    client.force_login(staff_user(StaffGroup.SUPPORT))
    page = client.get(CHANGELIST)
    assert page.status_code == 200
    assert page.context["action_form"] is None  # every action needs change_provider
    response = client.post(
        CHANGELIST,
        {"action": "screen", "_selected_action": [provider.pk], "apply": "1", "reason": "x"},
    )
    assert response.status_code == 200  # the list again: no action ran
    provider.refresh_from_db()
    assert provider.status == S.APPLIED
    assert not provider.events.exists()


def test_the_vetting_console_offers_every_action_and_no_delete(vetting_client):
    ApplicantFactory()
    actions = [
        name
        for name, _label in vetting_client.get(CHANGELIST)
        .context["action_form"]
        .fields["action"]
        .choices
        if name
    ]
    assert actions == [
        "screen",
        "reject",
        "schedule_interview",
        "cancel_interview",
        "interview_no_show",
        "verify_identity",
        "start_training",
        "resume_training",
        "activate",
        "suspend",
        "place_on_probation",
        "open_removal_review",
        "reinstate",
        "remove",
        "reward",
        "end_reward",
    ]


# The application list ---------------------------------------------------------------------------


def result_names(response):
    return sorted(str(provider) for provider in response.context["cl"].result_list)


@pytest.mark.requirement("R-VET-2", "R-VET-3")
def test_list_filters_by_stage_area_skill_date_and_interviewer(vetting_client):
    north, south = AreaFactory(), AreaFactory(code="south", name="South district")
    wood = SkillFactory(code="wood-floors", name="Wood floors")
    ApplicantFactory(user__full_name="Ava Applied", areas=[north])
    ApplicantFactory(user__full_name="Bita Screened", status=S.SCREENED, areas=[south])
    ApplicantFactory(user__full_name="Cyrus Wood", skills=[wood], areas=[north, south])
    old = ApplicantFactory(user__full_name="Dara Old")
    type(old).objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=60))
    iman = vetting_operator(full_name="Iman Interviewer")
    other = vetting_operator(full_name="Omid Interviewer")
    InterviewFactory(provider__user__full_name="Elham Interviewed", interviewer=iman)
    done = InterviewFactory(provider__user__full_name="Farid Done", interviewer=other)
    done.status = InterviewStatus.DONE
    done.save()

    def names(**query):
        return result_names(vetting_client.get(CHANGELIST, query))

    assert names(status__exact="screened") == ["Bita Screened"]
    assert names(areas__id__exact=south.pk) == ["Bita Screened", "Cyrus Wood"]
    assert names(skills__id__exact=wood.pk) == ["Cyrus Wood"]
    # The date filter's own links (aware datetimes at local midnight), as an operator clicks them.
    page = vetting_client.get(CHANGELIST)
    cl = page.context["cl"]
    date_filter = next(spec for spec in cl.filter_specs if spec.field_path == "created_at")
    links = {str(c["display"]): c["query_string"] for c in date_filter.choices(cl)}
    past_week = vetting_client.get(CHANGELIST + links["Past 7 days"])
    assert result_names(past_week) == [
        "Ava Applied",
        "Bita Screened",
        "Cyrus Wood",
        "Elham Interviewed",
        "Farid Done",
    ]
    # The date hierarchy, by local day.
    old.refresh_from_db()
    day = timezone.localtime(old.created_at)
    assert names(
        created_at__year=day.year, created_at__month=day.month, created_at__day=day.day
    ) == ["Dara Old"]
    assert names(interviewer=iman.pk) == ["Elham Interviewed"]
    assert names(interviewer=other.pk) == ["Farid Done"]
    assert names(interviewer=iman.pk, status__exact="applied") == []

    page = vetting_client.get(CHANGELIST)
    interviewer_filter = next(
        spec for spec in page.context["cl"].filter_specs if isinstance(spec, InterviewerFilter)
    )
    assert [label for _pk, label in interviewer_filter.lookup_choices] == [
        "Iman Interviewer",
        "Omid Interviewer",
    ]


def test_list_searches_by_phone_in_local_form_and_by_name(vetting_client):
    ApplicantFactory(user__full_name="Ava Applied", user__phone="+989125550101")
    ApplicantFactory(user__full_name="Bita Screened", user__phone="+989127770202")
    assert result_names(vetting_client.get(CHANGELIST, {"q": "0912 555 0101"})) == ["Ava Applied"]
    assert result_names(vetting_client.get(CHANGELIST, {"q": "+989127770202"})) == ["Bita Screened"]
    assert result_names(vetting_client.get(CHANGELIST, {"q": "bita"})) == ["Bita Screened"]
    assert result_names(vetting_client.get(CHANGELIST, {"q": "7770"})) == ["Bita Screened"]


def test_list_shows_areas_applied_date_and_the_next_interview(vetting_client):
    north, south = AreaFactory(), AreaFactory(code="south", name="South district")
    iman = vetting_operator(full_name="Iman Interviewer")
    starts = timezone.localtime(timezone.now() + timedelta(days=2)).replace(
        hour=9, minute=15, second=0, microsecond=0
    )
    interview = InterviewFactory(
        provider__user__full_name="Elham Interviewed",
        provider__areas=[north, south],
        interviewer=iman,
        starts_at=starts,
    )
    # A later one and a cancelled earlier one do not count as "next".
    InterviewFactory(
        provider=interview.provider, interviewer=iman, starts_at=starts + timedelta(days=1)
    )
    InterviewFactory(
        provider=interview.provider,
        interviewer=iman,
        starts_at=starts - timedelta(days=1),
        status=InterviewStatus.CANCELLED,
    )
    page = vetting_client.get(CHANGELIST)
    row = page.content.decode()
    assert "North district, South district" in row
    assert f"{starts:%m/%d/%Y} 9:15 a.m. · Iman Interviewer" in row


# Query counts ------------------------------------------------------------------------------------

LIST_QUERY_BOUND = 14


@pytest.mark.requirement("R-VET-2")
@pytest.mark.parametrize("rows", [3, 25])
def test_application_list_query_count_does_not_grow_with_rows(
    vetting_client, rows, django_assert_max_num_queries
):
    wood = SkillFactory(code="wood-floors", name="Wood floors")
    south = AreaFactory(code="south", name="South district")
    interviewers = [vetting_operator(), vetting_operator()]
    for i in range(rows):
        provider = ApplicantFactory(
            status=S.INTERVIEW_SCHEDULED,
            skills=[SkillFactory(), wood],
            areas=[AreaFactory(), south],
        )
        InterviewFactory(
            provider=provider,
            interviewer=interviewers[i % 2],
            starts_at=timezone.now() + timedelta(days=1, hours=i),
        )
    with django_assert_max_num_queries(LIST_QUERY_BOUND):
        response = vetting_client.get(CHANGELIST)
    assert response.context["cl"].result_count == rows
    assert response.content.decode().count("South district") >= rows
    with django_assert_max_num_queries(LIST_QUERY_BOUND):
        filtered = vetting_client.get(
            CHANGELIST, {"interviewer": interviewers[0].pk, "areas__id__exact": south.pk}
        )
    assert filtered.context["cl"].result_count == (rows + 1) // 2


# The provider's record ---------------------------------------------------------------------------


@pytest.mark.requirement("R-SEC-1")
def test_national_id_is_masked_and_read_only_for_vetting_staff(vetting_client, vetting):
    applicant = ApplicantFactory(national_id="0012345678")
    url = reverse("admin:providers_provider_change", args=[applicant.pk])
    page = vetting_client.get(url)
    html = page.content.decode()
    assert "0012345678" not in html
    assert "•••••••678" in html
    assert "national_id" not in page.context["adminform"].form.fields

    form = page.context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    data["national_id"] = "9999999999"
    data["experience_years"] = "7"
    data["areas"] = [area.pk for area in applicant.areas.all()]
    saved = vetting_client.post(url, {**data, **management_data(page)})
    assert saved.status_code == 302, saved.context["adminform"].form.errors
    applicant.refresh_from_db()
    assert applicant.experience_years == 7  # the rest of the form was saved
    assert applicant.national_id == "0012345678"


def management_data(page):
    """The inline formsets' management forms, as the browser would send them."""
    data = {}
    for formset in page.context["inline_admin_formsets"]:
        prefix = formset.formset.prefix
        data[f"{prefix}-TOTAL_FORMS"] = str(formset.formset.total_form_count())
        data[f"{prefix}-INITIAL_FORMS"] = str(formset.formset.initial_form_count())
        for i, form in enumerate(formset.formset.forms):
            for name in form.fields:
                value = form[name].value()
                if value is not None and name not in ("DELETE",):
                    data[f"{prefix}-{i}-{name}"] = value
    return data


@pytest.mark.requirement("R-SEC-1")
def test_a_superuser_sees_and_may_correct_the_national_id(client):
    superuser = OperatorFactory()
    client.force_login(superuser)
    applicant = ApplicantFactory(national_id="0012345678")
    ApplicantFactory(national_id="0099999999", national_id_hash=keyed_hash("0099999999"))
    url = reverse("admin:providers_provider_change", args=[applicant.pk])
    page = client.get(url)
    form = page.context["adminform"].form
    assert form["national_id"].value() == "0012345678"

    data = {name: form[name].value() or "" for name in form.fields}
    data["areas"] = [area.pk for area in applicant.areas.all()]
    data["national_id"] = "0099999999"  # somebody else's
    refused = client.post(url, {**data, **management_data(page)})
    assert refused.context["adminform"].form.errors == {
        "national_id": ["Another application has this national ID number."]
    }
    data["national_id"] = "0012345679"
    assert client.post(url, {**data, **management_data(page)}).status_code == 302
    applicant.refresh_from_db()
    assert applicant.national_id == "0012345679"
    assert applicant.national_id_hash == keyed_hash("0012345679")


@pytest.mark.requirement("R-VET-6", "R-VET-7", "R-SEC-2")
def test_record_shows_status_read_only_the_checklist_and_the_history(vetting_client, vetting):
    onboarding_course()
    applicant = ApplicantFactory(status=S.SCREENED, user__full_name="Nasrin Applicant")
    event(applicant, S.APPLIED, at=timezone.now() - timedelta(days=2), reason="Applied online")
    event(
        applicant,
        S.SCREENED,
        from_status=S.APPLIED,
        actor=vetting,
        at=timezone.now() - timedelta(days=1),
        reason="Application approved by the registration team",
    )
    page = vetting_client.get(reverse("admin:providers_provider_change", args=[applicant.pk]))
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert "status" not in form.fields
    html = page.content.decode()
    assert '<ul class="activation-blockers">' in html
    assert "<li>Course not passed: Cleaning basics.</li>" in html
    history = next(
        f for f in page.context["inline_admin_formsets"] if f.opts.model is ProviderEvent
    )
    assert [row.form.instance.to_status for row in history] == [S.SCREENED, S.APPLIED]
    assert "Application approved by the registration team" in html
    assert "Vida Vetting" in html


@pytest.mark.requirement("R-VET-6")
def test_record_says_ready_to_activate_when_nothing_is_missing(vetting_client, vetting):
    provider = ready_for_activation(operator=vetting)
    page = vetting_client.get(reverse("admin:providers_provider_change", args=[provider.pk]))
    assert "Ready to activate." in page.content.decode()


@pytest.mark.requirement("R-VET-7")
def test_record_shows_the_suspension_and_its_appeal_read_only(vetting_client, vetting):
    provider = ProviderFactory(status=S.SUSPENDED)
    suspension = event(
        provider,
        S.SUSPENDED,
        from_status=S.ACTIVE,
        at=timezone.now() - timedelta(days=1),
        reason="Average rating 2.1 over the last 5 ratings",
    )
    SuspensionAppeal.objects.create(
        provider=provider, suspension=suspension, text="The customer gave me the wrong address."
    )
    page = vetting_client.get(reverse("admin:providers_provider_change", args=[provider.pk]))
    appeals = next(
        f for f in page.context["inline_admin_formsets"] if f.opts.model is SuspensionAppeal
    )
    assert not appeals.has_add_permission and not appeals.has_change_permission
    html = page.content.decode()
    assert "The customer gave me the wrong address." in html
    assert "Average rating 2.1 over the last 5 ratings" in html
    assert "Vetting completed." in html


@pytest.mark.requirement("R-VET-3")
def test_cancelling_when_no_interview_is_scheduled_is_refused(vetting_client):
    applicant = ApplicantFactory(status=S.SCREENED, user__full_name="Nasrin Applicant")
    response = run_action(vetting_client, "cancel_interview", [applicant], reason="Ill")
    assert messages_of(response) == [
        ("error", "Nasrin Applicant: There is no scheduled interview.")
    ]
    applicant.refresh_from_db()
    assert applicant.status == S.SCREENED
    assert not applicant.events.exists()
