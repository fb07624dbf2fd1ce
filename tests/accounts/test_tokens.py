"""The mobile API's tokens (R-SEC-3): a new token at each login, stored only as its SHA-256;
it expires, a log-out revokes it, and a password change, a deactivation, a provider's
suspension or removal and an operator's "sign out everywhere" revoke all of a user's."""

import hashlib
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import ApiToken, TokenRevocation, User
from accounts.services import issue_api_token
from accounts.tasks import purge_api_tokens_task
from config.celery import app as celery_app
from providers.services import remove_provider, suspend_provider
from tests.factories import PASSWORD, CustomerFactory
from tests.providers.application_factories import last_code

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("R-SEC-3")]

TEHRAN = ZoneInfo("Asia/Tehran")
NOW = datetime(2026, 3, 2, 8, 0, tzinfo=TEHRAN)
PHONE = "+989123456789"
LOCAL = "09123456789"
TOKEN_URL = reverse("accounts_api:token")
LOGOUT_URL = reverse("accounts_api:logout")
ORDERS_URL = reverse("api:orders")

EXPIRED = "Your sign-in has expired. Log in again."
REVOKED = "You were signed out. Log in again."
UNKNOWN = "This token is not valid. Log in again."


@pytest.fixture
def now(time_machine):
    time_machine.move_to(NOW, tick=False)
    return NOW


@pytest.fixture
def sara(db):
    return CustomerFactory(phone=PHONE, full_name="Sara Customer")


def log_in(phone=LOCAL, **extra):
    response = APIClient().post(
        TOKEN_URL, {"phone": phone, "password": PASSWORD, **extra}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()


def call(key, url=ORDERS_URL, method="get"):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return getattr(client, method)(url, format="json")


def refused_with(response, message):
    assert response.status_code == 401
    assert response.json() == {"errors": {"non_field_errors": [message]}}
    return response["WWW-Authenticate"]


def works(key) -> bool:
    response = call(key)
    assert response.status_code in (200, 401, 403), response.content
    return response.status_code != 401


# --- Logging in ---------------------------------------------------------------------------


def test_each_login_gets_a_new_token_and_both_work(sara, now, settings):
    settings.API_TOKEN_TTL_DAYS = 30
    first, second = log_in(), log_in()
    assert first["token"] != second["token"]
    assert first["expires_at"] == "2026-04-01T08:00:00+03:30"
    assert works(first["token"]) and works(second["token"])
    assert ApiToken.objects.filter(user=sara, revoked_at__isnull=True).count() == 2


def test_the_raw_key_is_never_stored_only_its_sha256(sara):
    key = log_in(device="Sara's phone")["token"]
    token = ApiToken.objects.get()
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {ApiToken._meta.db_table}")
        (row,) = cursor.fetchall()
    assert not any(key in str(value) for value in row)
    assert token.device == "Sara's phone"


def test_a_new_login_on_the_same_device_replaces_its_token_only(sara):
    phone_1 = log_in(device="phone")["token"]
    tablet = log_in(device="tablet")["token"]
    phone_2 = log_in(device="phone")["token"]
    assert refused_with(call(phone_1), REVOKED)
    assert works(tablet) and works(phone_2)
    replaced = ApiToken.objects.get(revoked_at__isnull=False)
    assert (replaced.device, replaced.revoked_why) == ("phone", TokenRevocation.REPLACED)


def test_past_ten_devices_the_oldest_is_signed_out(sara, time_machine):
    time_machine.move_to(NOW, tick=True)
    keys = [log_in(device=f"device {n}")["token"] for n in range(11)]
    assert refused_with(call(keys[0]), REVOKED)
    assert all(works(key) for key in keys[1:])
    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == 10


def test_the_header_keeps_the_token_format_and_a_wrong_key_says_log_in_again(sara):
    key = log_in()["token"]
    assert call(key).status_code == 200
    header = refused_with(call(key + "x"), UNKNOWN)
    assert header == 'Token error="invalid_token", error_description="The token is not valid"'
    anonymous = APIClient().get(ORDERS_URL)
    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"] == "Token"


# --- Expiry -------------------------------------------------------------------------------


def test_a_token_expires_after_the_configured_days(sara, now, time_machine, settings):
    settings.API_TOKEN_TTL_DAYS = 2
    key = log_in()["token"]
    time_machine.move_to(NOW + timedelta(days=2, seconds=-1), tick=False)
    assert call(key).status_code == 200
    time_machine.move_to(NOW + timedelta(days=2), tick=False)
    header = refused_with(call(key), EXPIRED)
    assert header == 'Token error="invalid_token", error_description="The token expired"'
    assert works(log_in()["token"])  # logging in again is all it takes


def test_a_token_is_checked_in_one_indexed_query_and_last_use_is_written_seldom(
    sara, now, time_machine
):
    key = log_in()["token"]
    token = ApiToken.objects.get()
    assert token.last_used_at is None
    assert call(key).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at == NOW
    time_machine.move_to(NOW + timedelta(minutes=4), tick=False)
    with CaptureQueriesContext(connection) as queries:
        assert call(key).status_code == 200
    token_queries = [q["sql"] for q in queries if ApiToken._meta.db_table in q["sql"]]
    assert len(token_queries) == 1
    assert token_queries[0].startswith("SELECT") and '"key_hash" =' in token_queries[0]
    token.refresh_from_db()
    assert token.last_used_at == NOW  # no write within five minutes
    time_machine.move_to(NOW + timedelta(minutes=6), tick=False)
    assert call(key).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at == NOW + timedelta(minutes=6)


# --- Logging out --------------------------------------------------------------------------


def test_log_out_revokes_only_the_token_sent(sara):
    phone, tablet = log_in(device="phone")["token"], log_in(device="tablet")["token"]
    response = call(phone, LOGOUT_URL, "post")
    assert response.status_code == 200
    assert response.json() == {"signed_out": True}
    assert refused_with(call(phone), REVOKED)
    assert works(tablet)
    revoked = ApiToken.objects.get(device="phone")
    assert revoked.revoked_why == TokenRevocation.LOGOUT
    assert revoked.revoked_by is None
    assert refused_with(call(phone, LOGOUT_URL, "post"), REVOKED)  # a second log-out: 401


def test_log_out_without_a_token_is_401():
    response = APIClient().post(LOGOUT_URL, format="json")
    assert response.status_code == 401


# --- Revoking all of a user's tokens ------------------------------------------------------


def test_a_password_reset_by_sms_code_revokes_every_token(
    sara, client, sms_outbox, django_capture_on_commit_callbacks, settings
):
    settings.PHONE_CODE_RESEND_SECONDS = 0
    keys = [log_in(device="phone")["token"], log_in(device="tablet")["token"]]
    other = CustomerFactory()
    others_key = issue_api_token(user=other).key
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:password_reset"), {"phone": LOCAL})
    client.post(reverse("accounts:password_reset_code"), {"code": last_code(PHONE)})
    new = "a-new-long-password-77"
    response = client.post(
        reverse("accounts:password_reset_new"), {"new_password1": new, "new_password2": new}
    )
    assert response.status_code == 302
    for key in keys:
        assert refused_with(call(key), REVOKED)
    assert set(ApiToken.objects.filter(user=sara).values_list("revoked_why", flat=True)) == {
        TokenRevocation.PASSWORD
    }
    assert works(others_key)


@pytest.fixture
def admin_client(client, operator):
    client.force_login(operator)
    return client


def test_a_password_changed_in_the_admin_form_revokes_every_token(sara, admin_client):
    key = log_in()["token"]
    new = "another-long-password-88"
    response = admin_client.post(
        reverse("admin:auth_user_password_change", args=[sara.pk]),
        {"password1": new, "password2": new, "usable_password": "true"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    sara.refresh_from_db()
    assert sara.check_password(new)
    assert refused_with(call(key), REVOKED)
    assert ApiToken.objects.get().revoked_why == TokenRevocation.PASSWORD


def test_a_refused_password_in_the_admin_form_revokes_nothing(sara, admin_client):
    key = log_in()["token"]
    response = admin_client.post(
        reverse("admin:auth_user_password_change", args=[sara.pk]),
        {"password1": "123", "password2": "123", "usable_password": "true"},
    )
    assert response.status_code == 200
    assert works(key)


def user_form(user, **changes):
    """The admin's change form for `user` as shown, with `changes` (False unticks a box)."""
    data = {
        "phone": str(user.phone),
        "full_name": user.full_name,
        "email": user.email,
        "preferred_language": user.preferred_language,
        "role": user.role,
        "is_active": "on",
        "date_joined_0": user.date_joined.astimezone(TEHRAN).strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.astimezone(TEHRAN).strftime("%H:%M:%S"),
        "last_login_0": "",
        "last_login_1": "",
    }
    count = str(user.api_tokens.count())
    for field in ("TOTAL_FORMS", "INITIAL_FORMS"):
        data[f"api_tokens-{field}"] = count
    data["api_tokens-MIN_NUM_FORMS"], data["api_tokens-MAX_NUM_FORMS"] = "0", "1000"
    for name, value in changes.items():
        if value is False:
            data.pop(name)
        else:
            data[name] = value
    return data


def test_deactivating_a_user_in_the_admin_revokes_every_token(sara, admin_client, operator):
    key = log_in()["token"]
    url = reverse("admin:accounts_user_change", args=[sara.pk])
    renamed = admin_client.post(url, user_form(sara, full_name="Sara A. Customer"))
    assert renamed.status_code == 302, renamed.context["adminform"].form.errors
    assert works(key)  # other changes leave the tokens alone
    response = admin_client.post(url, user_form(sara, is_active=False))
    assert response.status_code == 302
    sara.refresh_from_db()
    assert not sara.is_active
    assert refused_with(call(key), REVOKED)
    token = ApiToken.objects.get()
    assert (token.revoked_why, token.revoked_by) == (TokenRevocation.DEACTIVATED, operator)


def test_a_user_deactivated_elsewhere_is_refused_too(sara):
    key = log_in()["token"]
    User.objects.filter(pk=sara.pk).update(is_active=False)
    assert refused_with(call(key), REVOKED)


def test_deleting_a_user_deletes_their_tokens(sara):
    log_in()
    sara.delete()
    assert not ApiToken.objects.exists()


def test_the_admin_action_signs_a_user_out_everywhere_and_records_who_and_why(
    sara, admin_client, operator
):
    keys = [log_in(device="phone")["token"], log_in(device="tablet")["token"]]
    other = CustomerFactory()
    others_key = issue_api_token(user=other).key
    changelist = reverse("admin:accounts_user_changelist")
    data = {"action": "sign_out_everywhere", "_selected_action": [sara.pk]}
    asked = admin_client.post(changelist, data)
    assert asked.status_code == 200
    assert "Sign out of the app everywhere" in asked.content.decode()
    assert all(works(key) for key in keys)  # nothing happens before the reason is given
    done = admin_client.post(
        changelist, {**data, "apply": "1", "reason": "Phone stolen"}, follow=True
    )
    assert [str(m) for m in done.context["messages"]] == ["1 changed."]
    for key in keys:
        assert refused_with(call(key), REVOKED)
    assert works(others_key)
    rows = ApiToken.objects.filter(user=sara)
    assert {(t.revoked_why, t.revoked_by, t.revoked_note) for t in rows} == {
        (TokenRevocation.OPERATOR, operator, "Phone stolen")
    }
    page = admin_client.get(reverse("admin:accounts_user_change", args=[sara.pk]))
    assert "Phone stolen" in page.content.decode()


def test_suspending_or_removing_a_provider_revokes_their_tokens(provider, other_provider, operator):
    suspended_key = issue_api_token(user=provider.user).key
    removed_key = issue_api_token(user=other_provider.user).key
    token = ApiToken.objects.get(user=provider.user)
    assert call(suspended_key).status_code == 403  # signed in, though not a customer
    suspend_provider(provider=provider, actor=operator, reason="Complaints", retrain=False)
    remove_provider(provider=other_provider, actor=operator, reason="Fraud")
    for key in (suspended_key, removed_key):
        assert refused_with(call(key), REVOKED)
    token.refresh_from_db()
    assert (token.revoked_why, token.revoked_by, token.revoked_note) == (
        TokenRevocation.PROVIDER,
        operator,
        "Complaints",
    )


# --- Housekeeping and the schema ----------------------------------------------------------


def test_tokens_expired_a_month_ago_are_purged_daily(sara, now, time_machine, settings):
    settings.API_TOKEN_TTL_DAYS = 1
    old = issue_api_token(user=sara).token
    time_machine.move_to(NOW + timedelta(days=20), tick=False)
    recent = issue_api_token(user=sara).token
    time_machine.move_to(NOW + timedelta(days=31, seconds=1), tick=False)
    assert purge_api_tokens_task.delay().get() == 1
    assert list(ApiToken.objects.values_list("pk", flat=True)) == [recent.pk]
    assert old.pk != recent.pk
    entry = celery_app.conf.beat_schedule["purge-api-tokens"]
    assert entry["task"] == "accounts.tasks.purge_api_tokens_task"


def test_the_schema_documents_log_out_and_the_token_scheme(client):
    schema = client.get(reverse("api_schema"), {"format": "json"}).json()
    scheme = schema["components"]["securitySchemes"]["tokenAuth"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "Authorization")
    logout = schema["paths"]["/api/v1/auth/logout"]["post"]
    assert logout["security"] == [{"tokenAuth": []}]
    assert set(logout["responses"]) == {"200", "401"}
    login = schema["paths"]["/api/v1/auth/token"]["post"]
    out = login["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert set(schema["components"]["schemas"][out.rsplit("/", 1)[1]]["properties"]) == {
        "token",
        "expires_at",
    }
    orders = schema["paths"]["/api/v1/orders"]["get"]
    assert orders["security"] == [{"tokenAuth": []}]
