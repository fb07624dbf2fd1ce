import pytest
from django.urls import reverse

from providers.models import ProviderEvent, ProviderStatus
from tests.factories import OrderFactory, ProviderFactory, SkillFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(client, operator):
    client.force_login(operator)
    return client


def test_orders_filter_by_status_area_and_date_and_search_by_phone(admin_client_, customer):
    OrderFactory(customer=customer, address="Match Street 1")
    OrderFactory(address="Other Street 2")
    url = reverse("admin:orders_order_changelist")
    assert admin_client_.get(url, {"q": str(customer.phone)}).context["cl"].result_count == 1
    assert admin_client_.get(url, {"status__exact": "requested"}).context["cl"].result_count == 2
    assert admin_client_.get(url, {"status__exact": "completed"}).context["cl"].result_count == 0
    area_id = customer.orders.get().area_id
    assert admin_client_.get(url, {"area__id__exact": area_id}).context["cl"].result_count == 2
    starts = customer.orders.get().starts_at
    by_day = {"starts_at__year": starts.year, "starts_at__month": starts.month}
    assert admin_client_.get(url, by_day).context["cl"].result_count == 2
    assert admin_client_.get(url, {"starts_at__year": 2001}).context["cl"].result_count == 0


@pytest.mark.parametrize("rows", [5, 25])
def test_order_list_query_count_does_not_grow_with_rows(
    admin_client_, rows, django_assert_max_num_queries
):
    OrderFactory.create_batch(rows)
    with django_assert_max_num_queries(12):
        response = admin_client_.get(reverse("admin:orders_order_changelist"))
    assert response.context["cl"].result_count == rows


@pytest.mark.parametrize("rows", [5, 25])
def test_provider_list_query_count_does_not_grow_with_rows(
    admin_client_, rows, django_assert_max_num_queries
):
    ProviderFactory.create_batch(rows)
    with django_assert_max_num_queries(14):
        response = admin_client_.get(reverse("admin:providers_provider_changelist"))
    assert response.context["cl"].result_count == rows


def test_providers_filter_by_status_skill_and_area(admin_client_):
    wood = SkillFactory(code="wood", name="Wood")
    ProviderFactory(skills=[wood])
    ProviderFactory(status=ProviderStatus.SUSPENDED)
    url = reverse("admin:providers_provider_changelist")
    assert admin_client_.get(url, {"status__exact": "suspended"}).context["cl"].result_count == 1
    assert admin_client_.get(url, {"skills__id__exact": wood.pk}).context["cl"].result_count == 1


@pytest.mark.requirement("R-VET-7", "R-SEC-2")
def test_operator_suspends_and_reinstates_a_provider_with_a_reason(admin_client_, operator):
    provider = ProviderFactory()
    url = reverse("admin:providers_provider_changelist")
    ask = admin_client_.post(url, {"action": "suspend", "_selected_action": [provider.pk]})
    assert ask.status_code == 200 and "Reason" in ask.content.decode()
    provider.refresh_from_db()
    assert provider.status == ProviderStatus.ACTIVE
    admin_client_.post(
        url,
        {
            "action": "suspend",
            "_selected_action": [provider.pk],
            "apply": "1",
            "reason": "Customer complaint confirmed",
        },
    )
    provider.refresh_from_db()
    assert provider.status == ProviderStatus.SUSPENDED
    admin_client_.post(
        url,
        {
            "action": "reinstate",
            "_selected_action": [provider.pk],
            "apply": "1",
            "reason": "Retrained",
        },
    )
    provider.refresh_from_db()
    assert provider.status == ProviderStatus.ACTIVE
    events = list(
        ProviderEvent.objects.filter(provider=provider, actor=operator)
        .order_by("at", "id")
        .values_list("from_status", "to_status", "reason")
    )
    assert events == [
        ("active", "suspended", "Customer complaint confirmed"),
        ("suspended", "active", "Retrained"),
    ]


def test_refused_admin_transitions_are_reported_and_change_nothing(admin_client_):
    removed = ProviderFactory(status=ProviderStatus.REMOVED)
    response = admin_client_.post(
        reverse("admin:providers_provider_changelist"),
        {"action": "suspend", "_selected_action": [removed.pk], "apply": "1", "reason": "x"},
        follow=True,
    )
    assert "cannot become" in response.content.decode()
    removed.refresh_from_db()
    assert removed.status == ProviderStatus.REMOVED


@pytest.mark.parametrize(
    "name",
    ["matching_offer", "reviews_rating", "support_ticket", "providers_providerevent"],
)
def test_operator_lists_open(admin_client_, name):
    assert admin_client_.get(reverse(f"admin:{name}_changelist")).status_code == 200


def test_order_and_provider_pages_show_their_history(admin_client_, provider):
    order = OrderFactory()
    assert (
        admin_client_.get(reverse("admin:orders_order_change", args=[order.pk])).status_code == 200
    )
    page = admin_client_.get(reverse("admin:providers_provider_change", args=[provider.pk]))
    assert page.status_code == 200


@pytest.mark.requirement("R-ORD-3", "R-MAT-3")
def test_operator_retries_matching_for_an_order_nobody_could_take(
    admin_client_, operator, provider, django_capture_on_commit_callbacks, settings
):
    settings.MATCHING_MODE = "auto"  # the offer loop (the customer's choice: tests/matching)
    order = OrderFactory(status="no_provider")
    with django_capture_on_commit_callbacks(execute=True):
        admin_client_.post(
            reverse("admin:orders_order_changelist"),
            {
                "action": "retry_matching",
                "_selected_action": [order.pk],
                "apply": "1",
                "reason": "A provider's hours changed",
            },
        )
    order.refresh_from_db()
    assert order.status == "offered"
    assert order.offers.get().provider == provider
    assert order.events.filter(actor=operator, to_status="requested").exists()


def test_staff_who_may_only_view_orders_get_no_order_actions(client):
    from django.contrib.auth.models import Group

    from accounts.models import Role
    from tests.factories import UserFactory

    agent = UserFactory(role=Role.OPERATOR, is_staff=True)
    agent.groups.add(Group.objects.get(name="support"))
    order = OrderFactory(status="no_provider")
    client.force_login(agent)
    url = reverse("admin:orders_order_changelist")
    page = client.get(url)
    assert page.status_code == 200
    assert "retry_matching" not in page.content.decode()
    client.post(
        url,
        {"action": "retry_matching", "_selected_action": [order.pk], "apply": "1", "reason": "x"},
    )
    order.refresh_from_db()
    assert order.status == "no_provider"


@pytest.mark.parametrize("typed", ["09123334455", "0912 333 4455", "+98 912 333 4455"])
def test_an_operator_finds_a_callers_orders_by_the_number_as_read_out(admin_client_, typed):
    from tests.factories import CustomerFactory

    mine = OrderFactory(customer=CustomerFactory(phone="+989123334455"))
    other = OrderFactory(customer=CustomerFactory(phone="+989127778899"))
    page = admin_client_.get(reverse("admin:orders_order_changelist"), {"q": typed})
    ids = {order.pk for order in page.context["cl"].result_list}
    assert ids == {mine.pk}
    assert other.pk not in ids
    users = admin_client_.get(reverse("admin:accounts_user_changelist"), {"q": typed})
    assert [str(u.phone) for u in users.context["cl"].result_list] == ["+989123334455"]
