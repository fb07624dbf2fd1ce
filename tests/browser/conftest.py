"""Playwright fixtures for the browser tests, without the pytest-playwright plugin.

Debian's Chromium is driven through Playwright's sync API against pytest-django's live_server.
The sync API keeps an event loop running in the main thread, so Django's guard against ORM calls
from async contexts is switched off for these tests (the ORM calls happen in plain sync code).
"""

import os
import shutil
from pathlib import Path

import pytest

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# Generous: a wait returns as soon as its event happens, and a busy machine (another suite
# beside this one) can take seconds to serve a page or render a PDF.
DEFAULT_TIMEOUT_MS = 60_000
MOBILE_VIEWPORT = {"width": 375, "height": 812}
# Every page a test opens reports what its Content-Security-Policy refused (Chromium also logs
# it); `new_context` fails the test if anything was (R-SEC-1: pages work under the policy).
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error("CSP violation: " + event.violatedDirective + " refused "
    + (event.blockedURI || "inline code") + " in " + (event.sourceFile || event.documentURI)
    + ":" + event.lineNumber);
});
"""
DESKTOP_VIEWPORT = {"width": 1280, "height": 900}


@pytest.fixture(scope="session")
def playwright():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not os.environ.get("CI") and not shutil.which(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed (make chromium)")
    sync_api.expect.set_options(timeout=DEFAULT_TIMEOUT_MS)
    runner = sync_api.sync_playwright().start()
    try:
        yield runner
    finally:
        runner.stop()


@pytest.fixture(scope="session")
def browser(playwright):
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    try:
        yield browser
    finally:
        browser.close()


def watch_csp_violations(context) -> list[str]:
    """The console messages of what the pages of `context` had refused by their CSP, so far."""
    violations: list[str] = []

    def on_console(message):
        text = message.text
        if text.startswith("CSP violation") or "Content Security Policy" in text:
            violations.append(text)

    context.add_init_script(REPORT_CSP_VIOLATIONS)
    context.on("console", on_console)
    return violations


@pytest.fixture
def new_context(browser, live_server):
    """Make browser contexts on the live server; every one is closed after the test, which
    fails if a page's Content-Security-Policy refused anything."""
    contexts = []
    violations = []

    def make(*, mobile: bool = False, **options):
        context = browser.new_context(
            base_url=live_server.url,
            viewport=MOBILE_VIEWPORT if mobile else DESKTOP_VIEWPORT,
            locale="en-US",
            **options,
        )
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        context.set_default_navigation_timeout(DEFAULT_TIMEOUT_MS)
        violations.append(watch_csp_violations(context))
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
    refused = [text for found in violations for text in found]
    assert refused == [], "the Content-Security-Policy refused something"


@pytest.fixture(scope="session")
def screenshot_dir(pytestconfig) -> Path:
    path = pytestconfig.rootpath / "build" / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path
