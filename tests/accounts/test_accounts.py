import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.models import Role, User
from tests.factories import PASSWORD, CustomerFactory

pytestmark = pytest.mark.django_db


def test_customer_signs_up_with_a_local_phone_number_and_lands_on_booking(client):
    response = client.post(
        reverse("accounts:signup"),
        {
            "full_name": "Sara Ahmadi",
            "phone": "0912 345 6789",
            "email": "",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("orders:book")
    user = User.objects.get()
    assert str(user.phone) == "+989123456789"  # stored in E.164, parsed in the default region
    assert user.role == Role.CUSTOMER
    assert user.check_password(PASSWORD)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("phone", "12345", "Enter a valid phone number"),
        ("password2", "different-password-99", "The two passwords do not match."),
        ("password1", "123", "too short"),
    ],
)
def test_signup_refuses_bad_input_and_saves_nothing(client, field, value, message):
    data = {
        "full_name": "Sara",
        "phone": "09123456789",
        "email": "",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    data[field] = value
    if field == "password1":
        data["password2"] = value
    response = client.post(reverse("accounts:signup"), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert User.objects.count() == 0


def test_a_phone_number_signs_up_once(client):
    CustomerFactory(phone="+989123456789")
    response = client.post(
        reverse("accounts:signup"),
        {
            "full_name": "Twin",
            "phone": "+98 912 345 6789",
            "email": "",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert "already exists" in response.content.decode()
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
