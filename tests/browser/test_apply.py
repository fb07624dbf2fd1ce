"""An applicant applies on a phone, in Persian (right to left), and sees the status page."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation
from playwright.sync_api import expect

from accounts.models import Role
from providers.models import Provider, ProviderStatus
from tests.providers.application_factories import (
    NATIONAL_ID,
    PHONE,
    jpeg_with_exif,
    last_code,
)

from ..factories import PASSWORD, AreaFactory, SkillFactory
from .test_journey import horizontal_overflow, record_failures

pytestmark = pytest.mark.browser

PHONE_LOCAL = "09121110001"


@pytest.mark.requirement("R-VET-1", "R-I18N-1")
def test_an_applicant_applies_on_a_phone_in_persian_and_sees_the_status_page(
    transactional_db, live_server, new_context, screenshot_dir
):
    skill = SkillFactory(code="home-cleaning", name="Home cleaning")
    area = AreaFactory(code="north", name="North district")
    page = new_context(mobile=True).new_page()
    problems = record_failures(page)
    html = page.locator("html")

    # Persian from the header's language switcher turns the page right to left.
    page.goto("/providers/apply/")
    with page.expect_navigation():
        page.locator("header select[name='language']").select_option("fa")
    expect(html).to_have_attribute("dir", "rtl")
    expect(html).to_have_attribute("lang", "fa")

    # Step 1: the phone, typed the local way.
    form = page.locator("main form")
    form.locator("input[name='phone']").fill(PHONE_LOCAL)
    assert horizontal_overflow(page) <= 0
    page.screenshot(path=screenshot_dir / "apply-1-phone.png", full_page=True)
    form.locator("button[type='submit']").click()
    page.wait_for_url("**/providers/apply/verify/")

    # Step 2: the code from the SMS (the live server runs in this process: same outbox).
    code = last_code(PHONE)
    page.locator("main form").first.locator("input[name='code']").fill(code)
    assert horizontal_overflow(page) <= 0
    page.screenshot(path=screenshot_dir / "apply-2-code.png", full_page=True)
    page.locator("main form").first.locator("button[type='submit']").click()
    page.wait_for_url("**/providers/apply/details/")

    # Step 3: the form.
    birth = (timezone.localdate() - timedelta(days=365 * 30)).isoformat()
    form = page.locator("#application-form")
    form.locator("input[name='full_name']").fill("مریم احمدی")
    form.locator("input[name='national_id']").fill(NATIONAL_ID)
    form.locator("input[name='birth_date']").fill(birth)
    form.locator("textarea[name='address']").fill("تهران، خیابان ولیعصر، پلاک ۱۲")
    form.locator(f"input[name='areas'][value='{area.pk}']").check()
    form.locator(f"input[name='skill_{skill.pk}']").fill("3")
    form.locator("textarea[name='work_history']").fill("چهار سال نظافت منزل")
    form.locator("input[name='saturday_from']").fill("08:00")
    form.locator("input[name='saturday_until']").fill("16:00")
    form.locator("input[name='photo']").set_input_files(
        {"name": "me.jpg", "mimeType": "image/jpeg", "buffer": jpeg_with_exif((320, 400))}
    )
    form.locator("input[name='password1']").fill(PASSWORD)
    form.locator("input[name='password2']").fill(PASSWORD)
    assert horizontal_overflow(page) <= 0
    page.screenshot(path=screenshot_dir / "apply-3-form.png", full_page=True)
    form.locator("button[type='submit']").last.click()

    # The status page, logged in, right to left, at the first stage (named as locale/fa has it;
    # "درخواست ثبت شده" once the catalogue is compiled).
    with translation.override("fa"):
        applied = str(ProviderStatus.APPLIED.label)
    page.wait_for_url("**/providers/application/")
    expect(html).to_have_attribute("dir", "rtl")
    expect(page.locator("#application-status")).to_have_text(applied)
    expect(page.locator("#progress li[aria-current='step']")).to_contain_text(applied)
    expect(page.locator("#history li")).to_have_count(1)
    assert page.evaluate("() => getComputedStyle(document.body).direction") == "rtl"
    assert horizontal_overflow(page) <= 0
    page.screenshot(path=screenshot_dir / "apply-4-status.png", full_page=True)

    provider = Provider.objects.select_related("user").get()
    assert provider.status == ProviderStatus.APPLIED
    assert str(provider.user.phone) == PHONE
    assert provider.user.role == Role.PROVIDER
    assert provider.user.full_name == "مریم احمدی"
    assert provider.user.preferred_language == "fa"
    assert [s.years_of_experience for s in provider.skill_levels.all()] == [3]
    assert problems == []
