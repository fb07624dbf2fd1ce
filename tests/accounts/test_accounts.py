import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.models import Role, User
from accounts.services import AccountError, register_customer
from tests.factories import PASSWORD, CustomerFactory
from tests.providers.application_factories import last_code

pytestmark = pytest.mark.django_db


DETAILS = {"full_name": "Sara Ahmadi", "email": "", "password1": PASSWORD, "password2": PASSWORD}


def confirm_number(client, capture, typed="0912 345 6789", e164="+989123456789"):
    """Steps 1 and 2 of the sign-up, as a customer goes through them."""
    with capture(execute=True):
        response = client.post(reverse("accounts:signup"), {"phone": typed})
    assert response["Location"] == reverse("accounts:signup_code")
    response = client.post(reverse("accounts:signup_code"), {"code": last_code(e164)})
    assert response["Location"] == reverse("accounts:signup_details")


@pytest.mark.requirement("R-SEC-3")
def test_customer_signs_up_on_a_confirmed_number_and_lands_on_booking(
    client, sms_outbox, django_capture_on_commit_callbacks
):
    confirm_number(client, django_capture_on_commit_callbacks)
    response = client.post(reverse("accounts:signup_details"), DETAILS)
    assert response.status_code == 302
    assert response["Location"] == reverse("orders:book")
    user = User.objects.get()
    assert str(user.phone) == "+989123456789"  # stored in E.164, parsed in the default region
    assert user.role == Role.CUSTOMER
    assert user.check_password(PASSWORD)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("password2", "different-password-99", "The two passwords do not match."),
        ("password1", "123", "too short"),
        ("full_name", "", "This field is required."),
    ],
)
def test_signup_refuses_bad_details_and_saves_nothing(
    client, sms_outbox, django_capture_on_commit_callbacks, field, value, message
):
    confirm_number(client, django_capture_on_commit_callbacks)
    data = {**DETAILS, field: value}
    if field == "password1":
        data["password2"] = value
    response = client.post(reverse("accounts:signup_details"), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert User.objects.count() == 0


def test_a_bad_number_is_refused_at_the_first_step(client, sms_outbox):
    response = client.post(reverse("accounts:signup"), {"phone": "12345"})
    assert response.status_code == 200
    assert "Enter a valid phone number" in response.content.decode()
    assert sms_outbox == []


@pytest.mark.requirement("R-SEC-3")
def test_nobody_signs_up_without_confirming_the_number(client, sms_outbox):
    """Details posted without steps 1 and 2 (someone else's number) make no account."""
    response = client.post(reverse("accounts:signup_details"), DETAILS)
    assert response["Location"] == reverse("accounts:signup")
    with pytest.raises(AccountError, match="Confirm your phone number"):
        register_customer(full_name="X", phone="+989123456789", email="", password=PASSWORD)
    assert User.objects.count() == 0


@pytest.mark.requirement("R-SEC-3")
def test_a_number_with_an_account_gets_the_same_answer_and_cannot_sign_up_again(
    client, sms_outbox, django_capture_on_commit_callbacks
):
    CustomerFactory(phone="+989123456789")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:signup"), {"phone": "+98 912 345 6789"})
    assert response["Location"] == reverse("accounts:signup_code")  # as for a new number
    [sms] = sms_outbox
    assert "which has one already" in sms["text"] and "/accounts/login/" in sms["text"]
    response = client.post(reverse("accounts:signup_code"), {"code": "123456"})
    assert "That code is not right" in response.content.decode()
    assert client.get(reverse("accounts:signup_details"))["Location"] == reverse("accounts:signup")
    assert User.objects.count() == 1


@pytest.mark.requirement("R-I18N-1")
@pytest.mark.parametrize("typed", ["09123456789", "+989123456789", "0098 912 345 6789"])
def test_login_accepts_the_phone_number_in_any_usual_form(client, typed):
    CustomerFactory(phone="+989123456789")
    response = client.post(reverse("accounts:login"), {"username": typed, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:home_for_user")


def test_login_with_a_wrong_password_fails_clearly(client):
    CustomerFactory(phone="+989123456789")
    response = client.post(
        reverse("accounts:login"), {"username": "09123456789", "password": "wrong"}
    )
    assert response.status_code == 200
    assert "correct phone number and password" in response.content.decode()


def test_each_role_lands_on_its_own_page(client, customer, provider, operator):
    expected = {
        customer: reverse("orders:list"),
        provider.user: reverse("matching:dashboard"),
        operator: reverse("admin:index"),
    }
    for user, landing in expected.items():
        client.force_login(user)
        assert client.get(reverse("accounts:home_for_user"))["Location"] == landing


def test_staff_permission_groups_exist_with_their_permissions():
    groups = {g.name: g for g in Group.objects.prefetch_related("permissions")}
    assert set(groups) >= {"vetting", "support", "quality"}
    codes = {name: {p.codename for p in g.permissions.all()} for name, g in groups.items()}
    assert "change_ticket" in codes["support"]
    assert "change_provider" in codes["vetting"]
    assert "view_rating" in codes["quality"]
    assert "change_ticket" not in codes["vetting"]


def test_a_support_agent_sees_tickets_but_not_provider_editing(client):
    agent = CustomerFactory(role=Role.OPERATOR, is_staff=True)
    agent.groups.add(Group.objects.get(name="support"))
    client.force_login(agent)
    assert client.get(reverse("admin:support_ticket_changelist")).status_code == 200
    assert client.get(reverse("admin:providers_skill_add")).status_code == 403
