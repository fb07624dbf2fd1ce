"""Limits on every door (R-SEC-3): logins on the web, in the admin and for API tokens, phone
codes asked for and checked, the password reset, open bookings and the SMS sent to one number.
Counted by account and by address, in the database (core.throttle)."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth import authenticate
from django.db import connection
from django.test import RequestFactory
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import User
from core.models import RateCount
from core.sms import send_sms
from tests.factories import PASSWORD, CustomerFactory, OperatorFactory
from tests.providers.application_factories import last_code

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("R-SEC-3")]

PHONE = "+989123456789"
LOCAL = "09123456789"


@pytest.fixture(autouse=True)
def _small_limits(settings):
    settings.LOGIN_TRIES_PER_ACCOUNT = 5
    settings.LOGIN_TRIES_PER_ADDRESS = 12
    settings.PHONE_CODE_RESEND_SECONDS = 0


def web_login(client, username, password, address="10.0.0.1"):
    return client.post(
        reverse("accounts:login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


def test_the_web_login_stops_a_guesser_even_with_the_right_password_then_says_when(client):
    CustomerFactory(phone=PHONE)
    # The same account in every form it can be typed in: counted as one.
    for typed in ["09123456789", PHONE, "0098 912 345 6789", "+98 912 345 6789", LOCAL]:
        response = web_login(client, typed, "wrong-password")
        assert response.status_code == 200
        assert "correct phone number and password" in response.content.decode()
    response = web_login(client, LOCAL, PASSWORD)
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 15 * 60
    assert "Too many attempts. Please try again in" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # From another address the account is still closed; another account from here is open.
    assert web_login(client, LOCAL, PASSWORD, address="10.0.0.2").status_code == 429
    CustomerFactory(phone="+989120000077")
    assert web_login(client, "09120000077", PASSWORD).status_code == 302


def test_a_successful_login_forgives_the_accounts_earlier_mistakes(client):
    CustomerFactory(phone=PHONE)
    for _ in range(4):
        web_login(client, LOCAL, "wrong-password")
    assert web_login(client, LOCAL, PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        assert web_login(client, LOCAL, "wrong-password").status_code == 200
    assert web_login(client, LOCAL, PASSWORD).status_code == 302


def test_one_address_cannot_try_many_accounts(client):
    for n in range(12):
        web_login(client, f"0912000{n:04d}", "wrong-password")
    CustomerFactory(phone=PHONE)
    response = web_login(client, LOCAL, PASSWORD)
    assert response.status_code == 429
    # Someone else, elsewhere, logs in as usual.
    assert web_login(client, LOCAL, PASSWORD, address="10.9.9.9").status_code == 302


def test_the_admin_login_is_limited_and_says_so(client):
    OperatorFactory(phone=PHONE)
    for _ in range(5):
        client.post(
            reverse("admin:login"), {"username": LOCAL, "password": "nope"}, REMOTE_ADDR="10.0.0.5"
        )
    response = client.post(
        reverse("admin:login"), {"username": LOCAL, "password": PASSWORD}, REMOTE_ADDR="10.0.0.5"
    )
    assert "Too many attempts. Please try again in" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_api_token_is_limited_with_429_and_retry_after():
    CustomerFactory(phone=PHONE)
    api = APIClient(REMOTE_ADDR="10.0.0.7")
    url = reverse("accounts_api:token")
    for _ in range(5):
        response = api.post(url, {"phone": LOCAL, "password": "nope"}, format="json")
        assert response.status_code == 400
    response = api.post(url, {"phone": LOCAL, "password": PASSWORD}, format="json")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many attempts" in response.json()["errors"]["non_field_errors"][0]


def test_the_api_does_not_take_the_session_cookie(client):
    """A session from the web login would let the API skip the token's limits and expiry."""
    client.force_login(CustomerFactory(phone=PHONE))
    assert client.get(reverse("api:orders")).status_code == 401


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_concurrent_guesses_gets_no_more_password_checks_than_the_limit(
    monkeypatch, settings
):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    settings.LOGIN_TRIES_PER_ACCOUNT = 10
    settings.LOGIN_TRIES_PER_ADDRESS = 1000
    CustomerFactory(phone=PHONE)
    checked = []
    lock = threading.Lock()
    real_check = User.check_password

    def counting_check(user, raw):
        with lock:
            checked.append(raw)
        return real_check(user, raw)

    monkeypatch.setattr(User, "check_password", counting_check)
    start = threading.Barrier(20)

    def guess(n):
        start.wait(timeout=60) if n < 20 else None
        request = RequestFactory().post(
            "/accounts/login/", REMOTE_ADDR=f"10.1.{n // 250}.{n % 250}"
        )
        try:
            return authenticate(request, username=LOCAL, password=f"guess-{n}")
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(guess, range(60)))
    assert results == [None] * 60
    assert len(checked) == 10  # the other 50 were refused before the password was looked at
    [count] = RateCount.objects.filter(scope="login-account")
    assert count.hits == 60  # every try counted, none lost


def test_a_new_code_gives_no_new_guesses(client, sms_outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:signup"), {"phone": LOCAL})
    for _ in range(5):
        response = client.post(reverse("accounts:signup_code"), {"code": "000000"})
        assert response.status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:signup_code"), {"resend": "1"})
    response = client.post(reverse("accounts:signup_code"), {"code": last_code(PHONE)})
    assert response.status_code == 429
    assert "Too many attempts. Please try again in" in response.content.decode()
    assert "verified_at" not in client.session["customer_signup"]


def test_codes_asked_for_one_number_are_limited_whatever_the_address(
    client, settings, sms_outbox, django_capture_on_commit_callbacks
):
    settings.PHONE_CODES_PER_NUMBER_PER_HOUR = 3
    for n in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("accounts:signup"), {"phone": LOCAL}, REMOTE_ADDR=f"10.2.0.{n}"
            )
        assert response.status_code == 302
    response = client.post(reverse("accounts:signup"), {"phone": LOCAL}, REMOTE_ADDR="10.2.0.9")
    assert response.status_code == 429
    assert len(sms_outbox) == 3


def test_a_forgotten_password_is_replaced_after_a_code_and_the_old_one_stops_working(
    client, sms_outbox, django_capture_on_commit_callbacks
):
    CustomerFactory(phone=PHONE)
    page = client.get(reverse("accounts:login")).content.decode()
    assert reverse("accounts:password_reset") in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:password_reset"), {"phone": LOCAL}, follow=True)
    assert f"If an account uses \u2066{PHONE}\u2069, we sent it a code" in response.content.decode()
    assert "to choose a new password" in sms_outbox[-1]["text"]
    client.post(reverse("accounts:password_reset_code"), {"code": last_code(PHONE)})
    new = "a-new-long-password-77"
    response = client.post(
        reverse("accounts:password_reset_new"), {"new_password1": new, "new_password2": new}
    )
    assert response["Location"] == reverse("accounts:home_for_user")
    user = User.objects.get(phone=PHONE)
    assert user.check_password(new) and not user.check_password(PASSWORD)


def test_a_password_reset_for_a_number_without_account_answers_alike_and_sends_nothing(
    client, sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:password_reset"), {"phone": LOCAL}, follow=True)
    assert f"If an account uses \u2066{PHONE}\u2069, we sent it a code" in response.content.decode()
    assert sms_outbox == []
    response = client.post(reverse("accounts:password_reset_code"), {"code": "123456"})
    assert "That code is not right" in response.content.decode()
    assert client.get(reverse("accounts:password_reset_new"))["Location"] == reverse(
        "accounts:password_reset"
    )


def test_a_signup_code_does_not_reset_a_password(
    client, sms_outbox, django_capture_on_commit_callbacks
):
    """Codes are good for their own purpose only."""
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:signup"), {"phone": LOCAL})
    code = last_code(PHONE)
    CustomerFactory(phone=PHONE)
    client.post(reverse("accounts:password_reset"), {"phone": LOCAL})
    response = client.post(reverse("accounts:password_reset_code"), {"code": code})
    assert "That code is not right" in response.content.decode()


def test_one_number_gets_at_most_its_hourly_sms(settings, sms_outbox):
    settings.SMS_PER_NUMBER_PER_HOUR = 3
    sent = [send_sms(to=PHONE, text=f"message {n}") for n in range(5)]
    assert sent == [True, True, True, False, False]
    assert [m["text"] for m in sms_outbox] == ["message 0", "message 1", "message 2"]
    assert send_sms(to="+989120000001", text="another number") is True
