"""Deployment security (R-SEC-1): the production settings pass `check --deploy`, https is
enforced with TLS on and left alone on plain-http trials, the CSRF cookie is out of scripts'
reach, and every page carries a Content-Security-Policy that allows no inline script, which the
templates keep possible by having none."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.requirement("R-SEC-1")

ROOT = Path(django_settings.BASE_DIR)
TEMPLATES = ROOT / "templates"
# Rendered to PDFs by WeasyPrint, never served as pages: their <style> meets no browser.
NOT_PAGES = {
    "orders/contract_pdf.html",
    "payments/receipt_pdf.html",
    "payments/statement_pdf.html",
}

PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "x7Qm2-Lw9vTz4Rk8Yp1Nc6Hd3Fg5Js0Ba7Ue2Io9Xq4Vr1My8Kt3Wn6Zb5Ps0Dl",
    "FIELD_ENCRYPTION_KEYS": "n3Hq8v5bN0S8dU7mYw0pKqS4vLr2cXzT6aGf1eJ9hBk=",
    "FIELD_LOOKUP_KEY": "a-lookup-key-for-the-deployment-tests",
    "DATABASE_URL": "postgres://postgres:postgres@postgres:5432/homeservices",
    "REDIS_URL": "redis://redis:6379/0",
    "DJANGO_ALLOWED_HOSTS": "localhost,127.0.0.1",
}
SECURITY_VARIABLES = (
    "DJANGO_SECURE_COOKIES",
    "DJANGO_SSL_REDIRECT",
    "DJANGO_HSTS_SECONDS",
    "DJANGO_HSTS_INCLUDE_SUBDOMAINS",
    "DJANGO_HSTS_PRELOAD",
    "DJANGO_BEHIND_PROXY",
    "DJANGO_SECRET_KEY_FILE",
    "FIELD_LOOKUP_KEY_FILE",
)
READ = (
    "DEBUG",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_PROXY_SSL_HEADER",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_HTTPONLY",
)


def production_env(**overrides):
    # Not what a production process has: the security variables of this shell, and the
    # async-safety switch the browser tests set for this process (async.E001 in production).
    left_out = {*SECURITY_VARIABLES, "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in left_out}
    env.update(PRODUCTION)
    env.update(overrides)
    return env


def production_settings(**overrides) -> dict:
    """config.settings as a fresh process reads them from this environment."""
    program = (
        "import json; from config import settings as s; "
        f"print(json.dumps({{name: getattr(s, name, None) for name in {READ!r}}}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", program],
        cwd=ROOT,
        env=production_env(**overrides),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def test_the_production_settings_pass_the_deployment_checks():
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
        ],
        cwd=ROOT,
        env=production_env(DJANGO_SECURE_COOKIES="true", DJANGO_BEHIND_PROXY="true"),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_with_tls_on_http_is_redirected_and_browsers_told_to_keep_to_https_for_a_year():
    assert production_settings() == {
        "DEBUG": False,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31_536_000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": False,
        # No proxy said to be in front: X-Forwarded-Proto is the client's word, not believed.
        "SECURE_PROXY_SSL_HEADER": None,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "CSRF_COOKIE_HTTPONLY": True,
    }


def test_plain_http_trials_get_no_redirect_no_hsts_and_cookies_that_work_over_http():
    values = production_settings(DJANGO_SECURE_COOKIES="false")
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SECURE_HSTS_SECONDS"] == 0
    assert values["SESSION_COOKIE_SECURE"] is False
    assert values["CSRF_COOKIE_SECURE"] is False
    assert values["CSRF_COOKIE_HTTPONLY"] is True


def test_each_https_setting_can_be_set_on_its_own():
    values = production_settings(
        DJANGO_SSL_REDIRECT="false",
        DJANGO_HSTS_SECONDS="3600",
        DJANGO_HSTS_INCLUDE_SUBDOMAINS="false",
        DJANGO_HSTS_PRELOAD="true",
    )
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SECURE_HSTS_SECONDS"] == 3600
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is False
    assert values["SECURE_HSTS_PRELOAD"] is True
    assert values["SESSION_COOKIE_SECURE"] is True


def test_the_proxys_https_header_is_believed_only_behind_the_proxy():
    assert production_settings(DJANGO_BEHIND_PROXY="true")["SECURE_PROXY_SSL_HEADER"] == [
        "HTTP_X_FORWARDED_PROTO",
        "https",
    ]
    assert production_settings(DJANGO_BEHIND_PROXY="false")["SECURE_PROXY_SSL_HEADER"] is None


@pytest.mark.django_db
def test_behind_the_proxy_only_https_as_it_reports_is_served(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/accounts/login/"
    response = client.get(reverse("accounts:login"), HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 200


def csp_directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", ["home", "accounts:login", "admin:login"])
def test_pages_carry_a_content_security_policy_without_inline_script(client, url_name):
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    directives = csp_directives(response)
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert "unsafe" not in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_the_api_docs_allow_inline_styles_but_still_no_inline_script(client):
    response = client.get(reverse("api_docs"))
    assert response.status_code == 200
    directives = csp_directives(response)
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'", "'unsafe-inline'"]
    page = response.content.decode()
    scripts = re.findall(r"<script\b[^>]*>", page)
    assert scripts and all(" src=" in tag for tag in scripts)
    # The page's own script is served from its own URL.
    script = client.get(reverse("api_docs") + "?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")


@pytest.mark.django_db
def test_the_csrf_cookie_is_out_of_scripts_reach_and_htmx_sends_the_token_from_the_page():
    client = Client(enforce_csrf_checks=True)
    page = client.get(reverse("accounts:login"))
    assert page.cookies["csrftoken"]["httponly"] is True
    token = re.search(r"hx-headers='\{\"X-CSRFToken\": \"([^\"]+)\"\}'", page.content.decode())
    assert token, "the page gives htmx the token"
    # A request sending the token the way htmx does (a header) passes the CSRF check.
    response = client.post(
        reverse("accounts:login"),
        {"username": "09120000001", "password": "wrong"},
        HTTP_X_CSRFTOKEN=token.group(1),
    )
    assert response.status_code == 200
    refused = client.post(
        reverse("accounts:login"), {"username": "09120000001", "password": "wrong"}
    )
    assert refused.status_code == 403


INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>", re.I)
EVENT_HANDLER = re.compile(r"<[a-zA-Z][^>]*?\son[a-z]+\s*=", re.S)
JAVASCRIPT_URL = re.compile(r"javascript\s*:", re.I)
INLINE_STYLE = re.compile(r"<style\b|<[a-zA-Z][^>]*?\sstyle\s*=", re.S | re.I)


def inline_code(text: str) -> list[str]:
    found = []
    for pattern, what in [
        (INLINE_SCRIPT, "inline <script>"),
        (EVENT_HANDLER, "on* event handler"),
        (JAVASCRIPT_URL, "javascript: URL"),
        (INLINE_STYLE, "inline style"),
    ]:
        found += [f"{what}: {match.group(0)[:80]!r}" for match in pattern.finditer(text)]
    return found


def test_the_scan_finds_each_kind_of_inline_code():
    assert len(inline_code('<select name="x" onchange="this.form.submit()">')) == 1
    assert len(inline_code("<script>alert(1)</script>")) == 1
    assert len(inline_code('<a href="javascript:void(0)">')) == 1
    assert len(inline_code('<div style="height: 1rem">')) == 1
    assert len(inline_code("<style>p {}</style>")) == 1
    assert inline_code('<script src="/static/js/a.js" defer></script>') == []
    assert inline_code('<form method="post" action="/">{{ json|json_script:"data" }}') == []


def test_no_template_has_inline_script_event_handlers_or_inline_styles():
    """The Content-Security-Policy would refuse them: scripts belong in static/js, styles in
    static/css (templates/admin/base_site.html loads static/css/admin.css in the admin)."""
    offenders = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        name = path.relative_to(TEMPLATES).as_posix()
        if name in NOT_PAGES:
            continue
        offenders += [f"{name}: {found}" for found in inline_code(path.read_text())]
    assert offenders == []
