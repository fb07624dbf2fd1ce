"""Appeals against a suspension (R-VET-7): once per suspension; the manager's answer."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.models import Role
from providers.models import AppealDecision, ProviderEvent, ProviderStatus, SuspensionAppeal
from providers.services.appeals import AppealError, answer_appeal, submit_appeal
from providers.services.lifecycle import (
    ProviderTransitionError,
    reinstate_provider,
    remove_provider,
    suspend_provider,
)
from tests.factories import OperatorFactory, UserFactory

from .application_factories import applicant

pytestmark = pytest.mark.django_db

S = ProviderStatus
REASON = "Average rating 2.4 over the last 5 ratings"


@pytest.fixture
def manager(db):
    return OperatorFactory(full_name="Mina Manager")


@pytest.fixture
def suspended(db):
    provider = applicant(S.ACTIVE, user__full_name="Maryam Provider")
    suspend_provider(provider=provider, actor=None, reason=REASON)
    return provider


def appeal_for(provider, text="I was ill that week; the customers knew."):
    return submit_appeal(provider=provider, text=text)


@pytest.mark.requirement("R-VET-7")
def test_a_suspended_provider_sees_why_and_appeals_once(client, suspended):
    client.force_login(suspended.user)
    page = client.get(reverse("providers:suspension"))
    html = page.content.decode()
    assert f'<dd id="suspension-reason">{REASON}</dd>' in html
    assert 'name="text"' in html

    response = client.post(reverse("providers:suspension"), {"text": "  I was ill.  "})
    assert response["Location"] == reverse("providers:suspension")
    appeal = SuspensionAppeal.objects.get()
    assert appeal.provider == suspended
    assert appeal.suspension == suspended.events.get(to_status=S.SUSPENDED)
    assert appeal.text == "I was ill."
    assert appeal.decision == ""
    assert appeal.answered_at is None

    html = client.get(reverse("providers:suspension")).content.decode()
    assert "I was ill." in html
    assert "A manager will read your appeal and answer." in html
    assert 'name="text"' not in html

    again = client.post(reverse("providers:suspension"), {"text": "Again"}, follow=True)
    assert "You have already appealed against this suspension." in again.content.decode()
    assert SuspensionAppeal.objects.count() == 1


@pytest.mark.requirement("R-VET-7")
def test_an_empty_appeal_is_refused(client, suspended):
    client.force_login(suspended.user)
    response = client.post(reverse("providers:suspension"), {"text": "   "})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    with pytest.raises(AppealError) as refused:
        submit_appeal(provider=suspended, text=" ")
    assert refused.value.message_dict == {"text": ["Write why the suspension should be lifted."]}
    assert SuspensionAppeal.objects.count() == 0


@pytest.mark.requirement("R-VET-7")
@pytest.mark.parametrize("status", [S.ACTIVE, S.APPLIED, S.PROBATION])
def test_only_a_suspended_provider_can_appeal(client, status):
    provider = applicant(status)
    client.force_login(provider.user)
    html = client.get(reverse("providers:suspension")).content.decode()
    assert "You have not been suspended." in html
    response = client.post(reverse("providers:suspension"), {"text": "Please"}, follow=True)
    assert "You can appeal only while you are suspended." in response.content.decode()
    assert SuspensionAppeal.objects.count() == 0


@pytest.mark.requirement("R-VET-7", "R-SEC-1")
def test_another_provider_can_neither_see_nor_appeal_a_suspension(client, suspended):
    other = applicant(S.ACTIVE, user__full_name="Elena Provider")
    client.force_login(other.user)
    html = client.get(reverse("providers:suspension")).content.decode()
    assert REASON not in html
    assert "You have not been suspended." in html
    client.post(reverse("providers:suspension"), {"text": "On her behalf"})
    assert SuspensionAppeal.objects.count() == 0
    # The page and the appeal are always the signed-in provider's own; there is no id to guess.
    client.force_login(UserFactory(role=Role.CUSTOMER))
    assert client.get(reverse("providers:suspension")).status_code == 403


@pytest.mark.requirement("R-VET-7")
def test_each_new_suspension_can_be_appealed_once(suspended, manager):
    first = appeal_for(suspended)
    answer_appeal(
        appeal=first, actor=manager, decision=AppealDecision.DISMISSED, answer="Ratings stand."
    )
    reinstate_provider(provider=suspended, actor=manager, reason="Retrained")
    suspend_provider(provider=suspended, actor=None, reason="Low ratings again")
    second = appeal_for(suspended, text="Second time")
    assert second.suspension.reason == "Low ratings again"
    assert second.suspension != first.suspension
    with pytest.raises(AppealError):
        appeal_for(suspended)
    assert SuspensionAppeal.objects.count() == 2


@pytest.mark.requirement("R-VET-7", "R-SEC-2")
def test_an_upheld_appeal_reinstates_the_provider_and_tells_them(
    suspended, manager, sms_outbox, django_capture_on_commit_callbacks
):
    appeal = appeal_for(suspended)
    with django_capture_on_commit_callbacks(execute=True):
        answer_appeal(
            appeal=appeal,
            actor=manager,
            decision=AppealDecision.UPHELD,
            answer="Two of the ratings were for another provider.",
        )
    suspended.refresh_from_db()
    assert suspended.status == S.ACTIVE
    event = suspended.events.first()
    assert (event.from_status, event.to_status, event.actor, event.reason) == (
        S.SUSPENDED,
        S.ACTIVE,
        manager,
        "Two of the ratings were for another provider.",
    )
    appeal.refresh_from_db()
    assert appeal.decision == AppealDecision.UPHELD
    assert appeal.answered_by == manager
    assert appeal.answered_at is not None
    texts = [m["text"] for m in sms_outbox]
    assert (
        "Your appeal is upheld: you are reinstated and receive offers again. "
        "Two of the ratings were for another provider."
    ) in texts
    assert any(text.startswith("Your account: Active.") for text in texts)


@pytest.mark.requirement("R-VET-7", "R-SEC-2")
def test_a_dismissed_appeal_changes_nothing_else(
    suspended, manager, sms_outbox, django_capture_on_commit_callbacks
):
    appeal = appeal_for(suspended)
    events_before = ProviderEvent.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        answer_appeal(
            appeal=appeal,
            actor=manager,
            decision=AppealDecision.DISMISSED,
            answer="The ratings came from five different customers.",
        )
    suspended.refresh_from_db()
    assert suspended.status == S.SUSPENDED
    assert ProviderEvent.objects.count() == events_before
    appeal.refresh_from_db()
    assert appeal.decision == AppealDecision.DISMISSED
    assert [m["text"] for m in sms_outbox] == [
        "Your appeal is dismissed: the suspension stands. "
        "The ratings came from five different customers."
    ]


@pytest.mark.requirement("R-VET-7")
def test_an_appeal_is_answered_once_and_needs_an_answer(suspended, manager):
    appeal = appeal_for(suspended)
    with pytest.raises(AppealError) as refused:
        answer_appeal(appeal=appeal, actor=manager, decision=AppealDecision.UPHELD, answer=" ")
    assert refused.value.messages == ["Write the answer the provider will read."]
    with pytest.raises(AppealError):
        answer_appeal(appeal=appeal, actor=manager, decision="maybe", answer="Hmm")
    answer_appeal(appeal=appeal, actor=manager, decision=AppealDecision.DISMISSED, answer="No.")
    with pytest.raises(AppealError) as refused:
        answer_appeal(appeal=appeal, actor=manager, decision=AppealDecision.UPHELD, answer="Yes")
    assert refused.value.messages == ["This appeal has already been answered."]
    appeal.refresh_from_db()
    assert (appeal.decision, appeal.answer) == (AppealDecision.DISMISSED, "No.")
    suspended.refresh_from_db()
    assert suspended.status == S.SUSPENDED


@pytest.mark.requirement("R-VET-7")
def test_upholding_for_a_removed_provider_is_refused_and_nothing_saved(suspended, manager):
    appeal = appeal_for(suspended)
    remove_provider(provider=suspended, actor=manager, reason="Poaching")
    with pytest.raises(ProviderTransitionError):
        answer_appeal(appeal=appeal, actor=manager, decision=AppealDecision.UPHELD, answer="Ok")
    appeal.refresh_from_db()
    assert appeal.answered_at is None
    suspended.refresh_from_db()
    assert suspended.status == S.REMOVED


@pytest.mark.requirement("R-VET-7")
def test_the_provider_sees_the_answer(client, suspended, manager):
    appeal = appeal_for(suspended)
    answer_appeal(
        appeal=appeal, actor=manager, decision=AppealDecision.DISMISSED, answer="It stands."
    )
    client.force_login(suspended.user)
    html = client.get(reverse("providers:suspension")).content.decode()
    assert "Appeal dismissed: the suspension stands" in html
    assert "It stands." in html


# The admin -------------------------------------------------------------------------------------


@pytest.mark.requirement("R-VET-7")
def test_the_admin_lists_unanswered_appeals_first_with_constant_queries(
    client, manager, django_assert_max_num_queries
):
    providers = []
    for number in range(4):
        provider = applicant(S.ACTIVE, user__full_name=f"Provider {number}")
        suspend_provider(provider=provider, actor=None, reason=REASON)
        providers.append(provider)
    appeals = [appeal_for(p, text=f"Appeal {i}") for i, p in enumerate(providers)]
    answer_appeal(appeal=appeals[0], actor=manager, decision="dismissed", answer="No.")
    client.force_login(manager)
    url = reverse("admin:providers_suspensionappeal_changelist")
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert response.status_code == 200
    listed = list(response.context["cl"].result_list)
    assert listed[-1] == appeals[0]
    assert all(a.answered_at is None for a in listed[:-1])
    more = applicant(S.ACTIVE, user__full_name="Provider 9")
    suspend_provider(provider=more, actor=None, reason=REASON)
    appeal_for(more)
    with django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200


@pytest.mark.requirement("R-VET-7")
def test_a_manager_upholds_an_appeal_from_the_admin_with_an_answer(client, suspended, manager):
    appeal = appeal_for(suspended)
    client.force_login(manager)
    url = reverse("admin:providers_suspensionappeal_changelist")
    first = client.post(url, {"action": "uphold", "_selected_action": [appeal.pk]})
    assert first.status_code == 200
    assert 'name="reason"' in first.content.decode()
    client.post(
        url,
        {
            "action": "uphold",
            "_selected_action": [appeal.pk],
            "apply": "1",
            "reason": "Ratings were mixed up.",
        },
    )
    appeal.refresh_from_db()
    assert (appeal.decision, appeal.answer, appeal.answered_by) == (
        AppealDecision.UPHELD,
        "Ratings were mixed up.",
        manager,
    )
    suspended.refresh_from_db()
    assert suspended.status == S.ACTIVE
    change = client.get(reverse("admin:providers_suspensionappeal_change", args=[appeal.pk]))
    assert change.status_code == 200
    assert REASON in change.content.decode()


@pytest.mark.requirement("R-VET-7", "R-SEC-1")
def test_quality_staff_can_answer_and_support_staff_cannot_see_appeals(client, suspended):
    appeal = appeal_for(suspended)
    url = reverse("admin:providers_suspensionappeal_changelist")
    support = UserFactory(role=Role.OPERATOR, is_staff=True)
    support.groups.add(Group.objects.get(name="support"))
    client.force_login(support)
    assert client.get(url).status_code == 403

    quality = UserFactory(role=Role.OPERATOR, is_staff=True)
    quality.groups.add(Group.objects.get(name="quality"))
    client.force_login(quality)
    assert client.get(url).status_code == 200
    client.post(
        url,
        {
            "action": "dismiss",
            "_selected_action": [appeal.pk],
            "apply": "1",
            "reason": "The suspension stands.",
        },
    )
    appeal.refresh_from_db()
    assert appeal.decision == AppealDecision.DISMISSED
    assert appeal.answered_by == quality
