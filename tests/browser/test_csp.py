"""The Content-Security-Policy in a real browser (R-SEC-1): it refuses inline script, the
watch of `new_context` sees such a refusal, and the pages with the most script (the admin, the
vetting funnel's chart, the API's Swagger page, a vetting document's image) work under it with
nothing refused."""

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from providers.models import DocumentKind, ProviderStatus
from providers.services.documents import upload_document

from ..factories import PASSWORD, OperatorFactory
from ..providers.vetting_admin_factories import ApplicantFactory, event
from .conftest import DEFAULT_TIMEOUT_MS, DESKTOP_VIEWPORT, watch_csp_violations
from .test_journey import record_failures

pytestmark = [pytest.mark.browser, pytest.mark.requirement("R-SEC-1")]

OPERATOR_PHONE = "+989121110404"


def test_inline_script_is_refused_and_the_refusal_is_seen(transactional_db, browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP_VIEWPORT)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    try:
        violations = watch_csp_violations(context)
        page = context.new_page()
        page.goto("/accounts/login/")
        page.evaluate(
            """() => {
                const script = document.createElement("script");
                script.textContent = "window.injected = true;";
                document.body.appendChild(script);
            }"""
        )
        assert page.evaluate("() => window.injected === undefined")
        page.wait_for_timeout(100)  # the console message travels apart from the page's state
        assert any("script-src" in text for text in violations), violations
    finally:
        context.close()


def jpeg(width: int, height: int) -> bytes:
    out = BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


def test_admin_funnel_chart_api_docs_and_documents_work_with_nothing_refused(
    transactional_db, live_server, new_context, settings, tmp_path
):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    operator = OperatorFactory(phone=OPERATOR_PHONE)
    applicant = ApplicantFactory(status=ProviderStatus.INTERVIEWED)  # documents are taken now
    event(applicant, ProviderStatus.APPLIED, at=timezone.now())  # a funnel to chart
    scan = upload_document(
        provider=applicant,
        kind=DocumentKind.ID_SCAN,
        uploaded_file=SimpleUploadedFile("id.jpg", jpeg(40, 20), content_type="image/jpeg"),
        actor=operator,
    )
    page = new_context().new_page()
    problems = record_failures(page)

    page.goto("/admin/")
    page.locator("input[name='username']").fill(OPERATOR_PHONE)
    page.locator("input[name='password']").fill(PASSWORD)
    page.locator("input[type='submit']").click()
    page.wait_for_url("**/admin/")
    # static/css/admin.css (no inline style) lays the managers' table across the column.
    table = page.locator("#managers-pages table")
    assert table.evaluate("(table) => getComputedStyle(table).width") == (
        page.locator("#managers-pages").evaluate("(module) => getComputedStyle(module).width")
    )

    page.goto("/providers/staff/funnel/")
    page.wait_for_function("() => window.funnelChart !== undefined")
    box = page.locator(".funnel-chart-box").bounding_box()
    assert box is not None and box["height"] > 300  # 22rem from site.css

    # An image document is shown by the browser's own viewer (no site policy: it styles inline).
    page.goto(f"/providers/documents/{scan.pk}/")
    page.wait_for_function("() => document.images.length === 1 && document.images[0].complete")
    assert page.evaluate("() => document.images[0].naturalWidth") == 40

    page.goto("/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Home services API")
    expect(page.locator(".opblock").first).to_be_visible()
    assert problems == []
