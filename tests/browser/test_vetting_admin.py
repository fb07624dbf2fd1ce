"""The vetting console in a real browser: an operator activates an application that passed every
stage, and sees the blockers of one that did not; a manager reads the funnel chart."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation
from playwright.sync_api import Page, expect

from accounts.models import StaffGroup
from providers.models import ProviderEvent, ProviderStatus
from providers.services import activation_blockers

from ..factories import PASSWORD
from ..providers.vetting_admin_factories import (
    ApplicantFactory,
    event,
    onboarding_course,
    passed_scorecard,
    ready_for_activation,
    staff_user,
)
from .test_journey import horizontal_overflow, record_failures

pytestmark = pytest.mark.browser

OPERATOR_PHONE = "+989121110303"


def admin_log_in(page: Page, phone: str) -> None:
    page.goto("/admin/")
    page.locator("input[name='username']").fill(phone)
    page.locator("input[name='password']").fill(PASSWORD)
    page.locator("input[type='submit']").click()
    page.wait_for_url("**/admin/")


def run_action_on(page: Page, name: str, action_label: str, reason: str) -> None:
    """Tick the row of `name` in the provider list, choose the action, give the reason."""
    row = page.locator("#result_list tbody tr", has_text=name)
    row.locator("input.action-select").check()
    page.locator("select[name='action']").select_option(label=action_label)
    page.get_by_role("button", name="Go").click()
    expect(page.get_by_role("heading", name=action_label)).to_be_visible()
    expect(page.locator("#content")).to_contain_text(name)
    page.locator("textarea[name='reason']").fill(reason)
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**/admin/providers/provider/**")


@pytest.mark.requirement("R-VET-6", "R-SEC-2")
def test_vetting_operator_activates_a_complete_application_and_sees_blockers_of_another(
    transactional_db, live_server, new_context, screenshot_dir
):
    operator = staff_user(StaffGroup.VETTING, phone=OPERATOR_PHONE, full_name="Vida Vetting")
    ready = ready_for_activation(operator=operator, user__full_name="Nasrin Ready")
    onboarding_course()
    incomplete = ApplicantFactory(status=ProviderStatus.IN_TRAINING, user__full_name="Omid Halfway")
    passed_scorecard(incomplete)
    with translation.override("en"):  # the admin page below is in English
        blockers = activation_blockers(incomplete)
    assert len(blockers) == 6  # documents, course, commitment (twice: status and signature)

    page = new_context().new_page()
    problems = record_failures(page)
    admin_log_in(page, OPERATOR_PHONE)
    expect(page.get_by_role("link", name="Vetting funnel")).to_be_visible()
    page.screenshot(path=screenshot_dir / "vetting-00-admin-index.png")
    page.goto("/admin/providers/provider/")

    # The operator narrows the list to the applications waiting for activation.
    page.locator("#changelist-filter").get_by_role("link", name="Commitment signed").click()
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Nasrin Ready")
    page.screenshot(path=screenshot_dir / "vetting-01-list.png", full_page=True)

    run_action_on(
        page,
        "Nasrin Ready",
        "Activate (every vetting stage passed)",
        "Every stage checked in the file",
    )
    expect(page.locator(".messagelist .success")).to_have_text("1 changed.")
    page.goto("/admin/providers/provider/?q=Nasrin")
    expect(page.locator("#result_list tbody tr", has_text="Nasrin Ready")).to_contain_text("Active")
    page.screenshot(path=screenshot_dir / "vetting-02-activated.png", full_page=True)

    ready.refresh_from_db()
    assert ready.status == ProviderStatus.ACTIVE
    activation = ProviderEvent.objects.get(provider=ready)
    assert (activation.from_status, activation.to_status) == ("commitment_signed", "active")
    assert activation.actor == operator
    assert activation.reason == "Every stage checked in the file"

    # The same action on an application that is not complete names every missing item.
    page.goto("/admin/providers/provider/?q=Omid")
    run_action_on(page, "Omid Halfway", "Activate (every vetting stage passed)", "Try anyway")
    error = page.locator(".messagelist .error")
    expect(error).to_contain_text("Omid Halfway: not changed, because:")
    expect(error.locator(".blocker")).to_have_text(blockers)
    expect(page.locator("#result_list tbody tr", has_text="Omid Halfway")).to_contain_text(
        "In training"
    )
    page.screenshot(path=screenshot_dir / "vetting-03-blockers.png", full_page=True)
    incomplete.refresh_from_db()
    assert incomplete.status == ProviderStatus.IN_TRAINING
    assert not incomplete.events.exists()

    # The provider's record shows the history and the checklist.
    page.locator("#result_list tbody tr", has_text="Omid Halfway").get_by_role(
        "link", name="Omid Halfway"
    ).click()
    checklist = page.locator("ul.activation-blockers li")
    expect(checklist).to_have_text(blockers)
    page.screenshot(path=screenshot_dir / "vetting-04-record.png", full_page=True)
    assert problems == []


@pytest.mark.requirement("R-OPS-1", "R-VET-3")
@pytest.mark.parametrize("language", ["en", "fa"])
def test_manager_reads_the_funnel_chart(
    transactional_db, live_server, new_context, screenshot_dir, language
):
    manager = staff_user(StaffGroup.QUALITY, phone=OPERATOR_PHONE, full_name="Mina Manager")
    now = timezone.now()
    path = [
        ProviderStatus.APPLIED,
        ProviderStatus.SCREENED,
        ProviderStatus.INTERVIEW_SCHEDULED,
        ProviderStatus.INTERVIEWED,
        ProviderStatus.IDENTITY_VERIFIED,
        ProviderStatus.IN_TRAINING,
        ProviderStatus.COMMITMENT_SIGNED,
        ProviderStatus.ACTIVE,
    ]
    # Ten applicants: applicant i gets as far as stage min(i, 7): a falling funnel.
    for i in range(10):
        applicant = ApplicantFactory()
        previous = ""
        for step, status in enumerate(path[: min(i, 7) + 1]):
            event(applicant, status, from_status=previous, at=now - timedelta(days=20 - step))
            previous = status
    for passed in (True, False, False):
        passed_scorecard(ApplicantFactory(), passed=passed)

    context = new_context(mobile=language == "fa")
    if language == "fa":
        context.add_cookies([{"name": "django_language", "value": "fa", "url": live_server.url}])
    page = context.new_page()
    problems = record_failures(page)
    admin_log_in(page, OPERATOR_PHONE)
    page.locator("#managers-pages a").click()
    page.wait_for_url("**/providers/staff/funnel/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "fa" else "ltr")
    expect(page.locator("#funnel-table tbody tr")).to_have_count(8)
    expect(page.locator("#funnel-table tr[data-stage='applied'] .reached")).to_have_text("10")
    expect(page.locator("#funnel-table tr[data-stage='active'] .reached")).to_have_text("3")
    if language == "en":
        expect(page.locator("#interview-pass-rate")).to_contain_text("33.3%")
    page.wait_for_function("() => window.funnelChart && window.funnelChart.data.labels.length")
    chart = page.evaluate(
        "() => ({labels: window.funnelChart.data.labels,"
        " values: window.funnelChart.data.datasets[0].data,"
        " reverse: window.funnelChart.options.scales.x.reverse})"
    )
    assert chart["values"] == [10, 9, 8, 7, 6, 5, 4, 3]
    assert chart["reverse"] is (language == "fa")
    assert chart["labels"] == page.locator("#funnel-table tbody th").all_inner_texts()
    assert horizontal_overflow(page) <= 0  # the wide table scrolls inside its own box
    page.screenshot(path=screenshot_dir / f"vetting-05-funnel-{language}.png", full_page=True)
    assert manager.is_staff
    assert problems == []
