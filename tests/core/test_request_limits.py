"""Limits at the door (R-SEC-3): a request body larger than MAX_REQUEST_BODY_BYTES is refused
by its Content-Length before it is read, and the client address the limits count by comes from
X-Forwarded-For only behind our own proxy, and then from the entry the proxy added."""

import pytest
from django.conf import settings as django_settings
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from core.middleware import RequestBodyLimitMiddleware
from core.throttle import client_ip

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("R-SEC-3")]

PROXY = "172.18.0.5"
HUGE = 300 * 1024 * 1024


class UnreadableBody:
    """A request body that fails the test if anyone reads it."""

    def read(self, *args, **kwargs):
        raise AssertionError("the body was read")

    readline = read


def test_the_body_limit_sits_above_the_largest_upload():
    assert django_settings.MAX_REQUEST_BODY_BYTES > django_settings.UPLOAD_MAX_BYTES
    assert django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE <= django_settings.MAX_REQUEST_BODY_BYTES


def huge_post(client, url):
    return client.generic(
        "POST",
        url,
        content_type="application/x-www-form-urlencoded",
        CONTENT_LENGTH=str(HUGE),
        **{"wsgi.input": UnreadableBody()},
    )


def test_the_api_says_it_in_its_own_error_shape(client):
    response = huge_post(client, "/api/v1/auth/token")
    assert response.status_code == 413
    assert response.json() == {
        "errors": {
            "non_field_errors": ["The request is too large: at most 11.0\xa0MB can be sent."]
        }
    }


@pytest.mark.parametrize(
    "url", [reverse("accounts:login"), reverse("admin:login"), "/no-such-page/"]
)
def test_a_300_mb_post_is_refused_with_413_before_its_body_is_read(client, url):
    response = huge_post(client, url)
    assert response.status_code == 413
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == "The request is too large: at most 11.0\xa0MB can be sent."


def test_the_limit_is_a_setting_and_a_body_within_it_is_served(client, settings):
    settings.MAX_REQUEST_BODY_BYTES = 1000
    data = "username=09120000001&password=wrong"
    within = client.post(
        reverse("accounts:login"), data, content_type="application/x-www-form-urlencoded"
    )
    assert within.status_code == 200
    over = client.post(
        reverse("accounts:login"),
        data + "&x=" + "a" * 1000,
        content_type="application/x-www-form-urlencoded",
    )
    assert over.status_code == 413
    assert over.content.decode() == ("The request is too large: at most 1000\xa0bytes can be sent.")


def test_a_malformed_content_length_is_left_to_django():
    # (Django reads it as no body; gunicorn refuses such a request before Django sees it.)
    request = RequestFactory().post("/", CONTENT_LENGTH="lots")
    middleware = RequestBodyLimitMiddleware(lambda request: HttpResponse("served"))
    assert middleware(request).content == b"served"


# Client addresses.


@pytest.fixture
def small_address_limit(settings):
    settings.LOGIN_TRIES_PER_ADDRESS = 3
    settings.LOGIN_TRIES_PER_ACCOUNT = 100
    settings.TRUSTED_PROXY_HEADER = "HTTP_X_FORWARDED_FOR"


def login_try(client, n, **headers):
    # Another account every time: only the address's limit can stop these tries.
    return client.post(
        reverse("accounts:login"),
        {"username": f"0912000{n:04d}", "password": "wrong"},
        **headers,
    )


def test_without_a_proxy_a_forged_x_forwarded_for_does_not_escape_the_login_limit(
    client, settings, small_address_limit
):
    settings.BEHIND_PROXY = False
    statuses = [
        login_try(
            client, n, REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}"
        ).status_code
        for n in range(4)
    ]
    assert statuses == [200, 200, 200, 429]


def test_behind_the_proxy_the_address_it_added_is_counted_not_what_the_client_wrote(
    client, settings, small_address_limit
):
    settings.BEHIND_PROXY = True
    # The client forges an X-Forwarded-For of its own; the proxy appends the real address.
    statuses = [
        login_try(
            client,
            n,
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}, 203.0.113.9",
        ).status_code
        for n in range(4)
    ]
    assert statuses == [200, 200, 200, 429]


def test_behind_the_proxy_clients_are_counted_apart_though_all_come_from_the_proxy(
    client, settings, small_address_limit
):
    settings.BEHIND_PROXY = True
    for n in range(3):
        login_try(client, n, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert (
        login_try(client, 3, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.9").status_code
        == 429
    )
    other = login_try(client, 4, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.10")
    assert other.status_code == 200


@pytest.mark.parametrize(
    ("behind_proxy", "forwarded", "expected"),
    [
        (False, "198.51.100.1", "192.0.2.1"),
        (True, None, "192.0.2.1"),
        (True, "198.51.100.1", "198.51.100.1"),
        (True, "10.0.0.1,198.51.100.1", "198.51.100.1"),
        (True, "10.0.0.1, 2001:DB8::1 ", "2001:db8::1"),
        (True, "198.51.100.1, not-an-address", "192.0.2.1"),
        (True, "", "192.0.2.1"),
    ],
)
def test_client_ip(settings, behind_proxy, forwarded, expected):
    settings.BEHIND_PROXY = behind_proxy
    headers = {} if forwarded is None else {"HTTP_X_FORWARDED_FOR": forwarded}
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.1", **headers)
    assert client_ip(request) == expected


def test_behind_the_proxy_another_header_can_be_named(settings):
    settings.BEHIND_PROXY = True
    settings.TRUSTED_PROXY_HEADER = "HTTP_X_REAL_IP"
    request = RequestFactory().get(
        "/", REMOTE_ADDR=PROXY, HTTP_X_REAL_IP="203.0.113.9", HTTP_X_FORWARDED_FOR="198.51.100.1"
    )
    assert client_ip(request) == "203.0.113.9"
