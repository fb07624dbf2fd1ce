"""The operator's audit of an order's candidates and assignment by hand (R-MAT-1)."""

import re
from datetime import time, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from matching import requests, services
from matching.models import Offer, OfferStatus, Recommendation, RecommendationStatus
from matching.scoring import PART_LABELS, PARTS
from matching.selectors import audit_rows, considered_providers
from matching.tasks import match_order_task
from orders.models import Order, OrderStatus
from orders.services.common import DoubleBookingError
from providers.models import ProviderStatus, ProviderTier, TimeOff
from providers.services import suspend_provider
from tests.factories import (
    AreaFactory,
    OperatorFactory,
    OrderFactory,
    ProviderFactory,
    SkillFactory,
    UserFactory,
    local_datetime,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(service, area):
    service.minimum_tier = ProviderTier.EXPERIENCED
    service.save()
    made = OrderFactory(service_type=service, area=area, starts_at=local_datetime(2, 10))
    return Order.objects.select_related("service_type", "area").get(pk=made.pk)


def experienced(**kwargs):
    return ProviderFactory(tier=ProviderTier.EXPERIENCED, **kwargs)


def job(provider, order, start_hour, end_hour, status=OrderStatus.CONFIRMED):
    day = timezone.localtime(order.starts_at).replace(hour=0, minute=0)
    return OrderFactory(
        provider=provider,
        status=status,
        starts_at=day + timedelta(hours=start_hour),
        ends_at=day + timedelta(hours=end_hour),
    )


@pytest.mark.requirement("R-MAT-1")
def test_every_exclusion_reason_is_named(order, operator, settings):
    settings.MAX_WORK_HOURS_PER_WEEK = 6
    eligible = experienced()
    not_skilled = experienced(skills=[SkillFactory(code="wood", name="Woodwork")])
    not_in_area = experienced(areas=[AreaFactory(code="south", name="South")])
    below_tier = ProviderFactory(tier=ProviderTier.STANDARD)
    not_working = experienced(hours=[(d, time(13), time(20)) for d in range(7)])
    time_off = experienced()
    day = timezone.localdate(order.starts_at)
    TimeOff.objects.create(provider=time_off, starts_on=day, ends_on=day, reason="wedding")
    busy = experienced()
    job(busy, order, 11, 13)
    over_day = experienced()
    job(over_day, order, 13, 20)  # 7 h that day + 2 h > 8
    over_week = experienced()
    job(over_week, order, 13, 18)  # 5 h + 2 h > 6 a week, within 8 a day
    suspended = experienced()
    suspend_provider(provider=suspended, actor=operator, reason="complaints")
    removed = experienced(status=ProviderStatus.REMOVED)
    declined = experienced()
    Offer.objects.create(
        order=order,
        provider=declined,
        status=OfferStatus.DECLINED,
        expires_at=order.starts_at,
    )
    passed = experienced()
    Recommendation.objects.create(
        order=order,
        provider=passed,
        round=1,
        rank=1,
        score={"features": {"provider_id": passed.pk}, "parts": {}, "total": 0},
        status=RecommendationStatus.PASSED,
    )
    wood_elsewhere = [SkillFactory(code="wood", name="Woodwork")]
    experienced(skills=wood_elsewhere, areas=[AreaFactory(code="east", name="East")])  # ignored

    considered = list(considered_providers(order))
    rows = {row.provider.pk: row for row in audit_rows(order, considered)}
    assert rows[eligible.pk].reasons == []
    assert rows[not_skilled.pk].reasons == ["not_skilled"]
    assert rows[not_in_area.pk].reasons == ["not_in_area"]
    assert rows[below_tier.pk].reasons == ["below_tier"]
    assert rows[not_working.pk].reasons == ["not_working"]
    assert rows[time_off.pk].reasons == ["time_off"]
    assert rows[busy.pk].reasons == ["busy"]
    assert rows[over_day.pk].reasons == ["day_limit", "week_limit"]
    assert rows[over_week.pk].reasons == ["week_limit"]
    assert rows[suspended.pk].reasons == ["status"]
    assert rows[removed.pk].reasons == ["status"]
    assert rows[declined.pk].reasons == ["offered_before"]
    assert rows[passed.pk].reasons == ["passed"]
    assert len(rows) == 13
    assert rows[eligible.pk].eligible
    assert rows[busy.pk].reason_texts() == ["busy with another job then (with the travel gap)"]


@pytest.mark.requirement("R-MAT-1")
def test_the_audit_page_lists_the_ranked_and_the_excluded_with_bounded_queries(
    client, order, django_assert_max_num_queries
):
    client.force_login(OperatorFactory())
    url = reverse("matching:candidates", args=[order.pk])
    counts = []
    for extra in (3, 30):
        experienced_batch = [experienced() for _ in range(extra)]
        ProviderFactory(skills=[SkillFactory(code="wood", name="Woodwork")])
        with django_assert_max_num_queries(40) as captured:
            page = client.get(url)
        counts.append(len(captured))
        assert page.status_code == 200
        html = page.content.decode()
        assert f'id="ranked-{experienced_batch[-1].pk}"' in html
        assert "lacks a required skill" in html
    assert counts[0] == counts[1]


@pytest.mark.requirement("R-MAT-1")
def test_only_staff_with_the_permission_may_audit(client, order):
    url = reverse("matching:candidates", args=[order.pk])
    client.force_login(UserFactory())
    assert client.get(url).status_code == 302  # the admin's login page
    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    assert client.get(url).status_code == 403
    staff.user_permissions.add(Permission.objects.get(codename="audit_matching"))
    staff = type(staff).objects.get(pk=staff.pk)
    client.force_login(staff)
    assert client.get(url).status_code == 200


@pytest.mark.requirement("R-MAT-1", "R-MAT-3")
def test_assigning_by_hand_confirms_withdraws_the_offer_and_records_why(
    client, order, operator, sms_outbox, django_capture_on_commit_callbacks
):
    offered, chosen = experienced(), experienced()
    services.offer_to_next_candidate(order_id=order.pk)
    assert Offer.objects.get(order=order).provider == offered
    client.force_login(operator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("matching:candidates", args=[order.pk]),
            {"provider": chosen.pk, "reason": "Customer asked for her by phone"},
        )
    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.status, order.provider) == (OrderStatus.CONFIRMED, chosen)
    assert Offer.objects.get(order=order).status == OfferStatus.WITHDRAWN
    event = order.events.last()
    assert (event.to_status, event.actor, event.reason) == (
        OrderStatus.CONFIRMED,
        operator,
        "Customer asked for her by phone",
    )
    assert {message["to"] for message in sms_outbox} >= {
        str(chosen.user.phone),
        str(order.customer.phone),
    }


@pytest.mark.requirement("R-MAT-1")
def test_assigning_by_hand_still_refuses_a_double_booking_and_changes_nothing(
    order, operator, django_capture_on_commit_callbacks
):
    first, busy = experienced(), experienced()
    services.offer_to_next_candidate(order_id=order.pk)
    job(busy, order, 11, 13)
    with pytest.raises(DoubleBookingError):
        services.assign_by_hand(order=order, provider=busy, actor=operator, reason="urgent")
    order.refresh_from_db()
    assert order.status == OrderStatus.OFFERED
    assert Offer.objects.get(order=order).status == OfferStatus.PENDING
    with pytest.raises(services.AssignmentError):
        services.assign_by_hand(order=order, provider=first, actor=operator, reason="  ")
    below = ProviderFactory(tier=ProviderTier.STANDARD)
    with pytest.raises(services.AssignmentError, match="tier"):
        services.assign_by_hand(order=order, provider=below, actor=operator, reason="urgent")
    order.refresh_from_db()
    assert order.status == OrderStatus.OFFERED


def test_a_no_provider_order_can_be_assigned_by_hand(order, operator):
    services.offer_to_next_candidate(order_id=order.pk)  # nobody: no_provider
    order.refresh_from_db()
    assert order.status == OrderStatus.NO_PROVIDER
    late = experienced()
    services.assign_by_hand(order=order, provider=late, actor=operator, reason="Called her")
    order.refresh_from_db()
    assert (order.status, order.provider) == (OrderStatus.CONFIRMED, late)


def test_the_admin_links_orders_and_offers_to_the_audit(client, order, operator):
    experienced()
    services.offer_to_next_candidate(order_id=order.pk)
    client.force_login(operator)
    url = reverse("matching:candidates", args=[order.pk])
    page = client.get(reverse("admin:orders_order_change", args=[order.pk]))
    assert url in page.content.decode()
    offer = Offer.objects.get(order=order)
    page = client.get(reverse("admin:matching_offer_change", args=[offer.pk]))
    assert url in page.content.decode()


def considered_table(html):
    """The audit table's rows as {provider id: (group, text of the row)}."""
    return {
        int(pk): (group, re.sub(r"<[^>]+>", "", body))
        for pk, group, body in re.findall(
            r'<tr id="considered-(\d+)" class="(\w+)">(.*?)</tr>', html, re.DOTALL
        )
    }


def summary_numbers(html):
    return {
        group: int(re.search(rf'id="summary-{group}">(\d+)<', html).group(1))
        for group in ("eligible", "engaged", "excluded")
    }


def assert_summary_matches_table(html):
    table = considered_table(html)
    groups = [group for group, _text in table.values()]
    numbers = summary_numbers(html)
    assert numbers == {group: groups.count(group) for group in numbers}
    assert sum(numbers.values()) == len(table)
    assert f"{len(table)} providers considered:" in html
    ranked = {int(pk) for pk in re.findall(r'<tr id="ranked-(\d+)"', html)}
    if ranked:  # the ranked list is the table's eligible rows, nobody else
        assert ranked == {pk for pk, (group, _text) in table.items() if group == "eligible"}
    return table


@pytest.mark.requirement("R-MAT-1")
def test_the_provider_who_accepted_is_assigned_not_declined_and_the_summary_agrees(
    client, order, operator
):
    first, second, declined = experienced(), experienced(), experienced()
    Offer.objects.create(
        order=order, provider=declined, status=OfferStatus.DECLINED, expires_at=order.starts_at
    )
    services.offer_to_next_candidate(order_id=order.pk)
    offer = Offer.objects.get(order=order, status=OfferStatus.PENDING)
    taker = offer.provider
    other = second if taker == first else first
    services.accept_offer(offer=offer, provider=taker)
    order.refresh_from_db()
    assert (order.status, order.provider) == (OrderStatus.CONFIRMED, taker)

    client.force_login(operator)
    page = client.get(reverse("matching:candidates", args=[order.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    table = assert_summary_matches_table(html)
    group, text = table[taker.pk]
    assert group == "engaged"
    assert "assigned to this order" in text
    assert "already offered" not in text and "declined" not in text
    group, text = table[declined.pk]
    assert group == "excluded"
    assert "already offered this order (declined, expired or withdrawn)" in text
    assert table[other.pk][0] == "eligible"
    assert summary_numbers(html) == {"eligible": 1, "engaged": 1, "excluded": 1}
    # Nobody is ranked for a confirmed order, and the page says why rather than "nobody can".
    assert "Nobody can take this order now." not in html
    assert "This order is not waiting for a provider (Confirmed), so nobody is ranked." in html


@pytest.mark.requirement("R-MAT-1")
def test_the_pending_offer_is_shown_as_pending_and_outside_the_ranked_list(client, order, operator):
    first, second = experienced(), experienced()
    services.offer_to_next_candidate(order_id=order.pk)
    offered = Offer.objects.get(order=order, status=OfferStatus.PENDING).provider
    waiting = second if offered == first else first
    client.force_login(operator)
    html = client.get(reverse("matching:candidates", args=[order.pk])).content.decode()
    table = assert_summary_matches_table(html)
    assert table[offered.pk][0] == "engaged"
    assert "offer pending: waiting for their answer" in table[offered.pk][1]
    assert "already offered" not in table[offered.pk][1]
    assert f'id="ranked-{offered.pk}"' not in html
    assert f'id="ranked-{waiting.pk}"' in html
    assert summary_numbers(html) == {"eligible": 1, "engaged": 1, "excluded": 0}


@pytest.mark.requirement("R-MAT-1")
def test_offer_reasons_follow_the_offer_status(order, operator):
    statuses = (OfferStatus.DECLINED, OfferStatus.EXPIRED, OfferStatus.WITHDRAWN)
    closed = {status: experienced() for status in statuses}
    for status, provider in closed.items():
        Offer.objects.create(
            order=order, provider=provider, status=status, expires_at=order.starts_at
        )
    # Accepted, then released when the order moved to a time they were not free.
    released = experienced()
    Offer.objects.create(
        order=order,
        provider=released,
        status=OfferStatus.ACCEPTED,
        expires_at=order.starts_at,
    )
    rows = {row.provider.pk: row for row in audit_rows(order, list(considered_providers(order)))}
    for provider in closed.values():
        assert (rows[provider.pk].reasons, rows[provider.pk].engagement) == (
            ["offered_before"],
            "",
        )
    assert rows[released.pk].reasons == ["released"]
    assert not rows[released.pk].eligible


@pytest.mark.requirement("R-MAT-1")
def test_a_hand_assigned_provider_whose_offer_was_withdrawn_is_shown_as_assigned(
    client, order, operator
):
    for _ in range(2):
        experienced()
    services.offer_to_next_candidate(order_id=order.pk)
    offered = Offer.objects.get(order=order).provider
    services.assign_by_hand(order=order, provider=offered, actor=operator, reason="By phone")
    assert Offer.objects.get(order=order).status == OfferStatus.WITHDRAWN
    client.force_login(operator)
    html = client.get(reverse("matching:candidates", args=[order.pk])).content.decode()
    table = assert_summary_matches_table(html)
    group, text = table[offered.pk]
    assert group == "engaged"
    assert "assigned to this order" in text and "already offered" not in text


@pytest.mark.requirement("R-MAT-1")
def test_the_score_columns_are_labelled_in_the_viewers_language(client, order, operator):
    assert set(PART_LABELS) == set(PARTS)
    for _ in range(2):
        experienced()
    client.force_login(operator)
    url = reverse("matching:candidates", args=[order.pk])
    html = client.get(url).content.decode()
    headers = re.findall(r'<th data-part="(\w+)">([^<]*)</th>', html)
    assert headers == [(code, str(PART_LABELS[code])) for code in PARTS]
    assert ("rating", "Rating") in headers
    assert ("past_good", "Rated well by this customer") in headers
    for code in PARTS:
        assert f">{code}<" not in html
    client.cookies["django_language"] = "ru"
    html = client.get(url).content.decode()
    headers = dict(re.findall(r'<th data-part="(\w+)">([^<]*)</th>', html))
    assert headers["rating"] == "Рейтинг"
    assert headers["past_good"] == "Хорошие оценки от этого клиента"
    assert "past_good" not in re.sub(r'data-part="\w+"', "", html)


@pytest.mark.requirement("R-MAT-1", "R-MAT-2")
def test_providers_the_customer_passed_over_are_left_out_of_the_ranked_list_and_the_summary(
    client, order, operator, settings, django_capture_on_commit_callbacks
):
    settings.MATCHING_MODE = "recommend"
    providers = [experienced(rating_average=round(5.0 - 0.1 * i, 1)) for i in range(5)]
    with django_capture_on_commit_callbacks(execute=True):
        match_order_task.delay(order.pk)
    first_round = set(
        Recommendation.objects.filter(order=order).values_list("provider_id", flat=True)
    )
    assert len(first_round) == 3
    with django_capture_on_commit_callbacks(execute=True):
        requests.ask_for_other_providers(order=order, customer=order.customer)
    assert (
        set(
            Recommendation.objects.filter(
                order=order, status=RecommendationStatus.PASSED
            ).values_list("provider_id", flat=True)
        )
        == first_round
    )

    client.force_login(operator)
    html = client.get(reverse("matching:candidates", args=[order.pk])).content.decode()
    table = assert_summary_matches_table(html)
    ranked = {int(pk) for pk in re.findall(r'<tr id="ranked-(\d+)"', html)}
    assert ranked == {p.pk for p in providers} - first_round
    for pk in first_round:
        assert table[pk][0] == "excluded"
        assert "passed over by the customer" in table[pk][1]
    assert summary_numbers(html) == {"eligible": 2, "engaged": 0, "excluded": 3}
