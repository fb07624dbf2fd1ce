"""Continuous contact (R-VET-8): a feedback call after every N completed orders, on a call list
that quality and support staff work from, with the customers' recent ratings attached."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, StaffGroup
from config.celery import app as celery_app
from orders.models import OrderStatus
from orders.services import common as order_common
from orders.services import lifecycle as order_lifecycle
from providers.models import ProviderStatus
from reviews import services
from reviews.models import FeedbackCallStatus, ProviderFeedbackCall, Rating
from reviews.tasks import schedule_feedback_call_task, sweep_feedback_calls_task
from tests.factories import CustomerFactory, OrderFactory, ProviderFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("R-VET-8")]

NOW = datetime(2025, 3, 10, 6, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _every_ten_orders(settings):
    settings.FEEDBACK_CALL_EVERY_N_ORDERS = 10


def staff(*groups, **kwargs):
    user = UserFactory(**{"role": Role.OPERATOR, "is_staff": True, **kwargs})
    for name in groups:
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    return user


@pytest.fixture
def quality_staff(db):
    return staff(StaffGroup.QUALITY, full_name="Qasem Quality")


@pytest.fixture
def quality_client(client, quality_staff):
    client.force_login(quality_staff)
    return client


def complete(provider, n, *, rated=0, comment="Tidy and on time", scores=(5, 4, 3)):
    """n completed orders for the provider; the last `rated` of them rated, in that order."""
    orders = [
        OrderFactory(provider=provider, status=OrderStatus.COMPLETED, completed_at=timezone.now())
        for _ in range(n)
    ]
    ratings = []
    for i, order in enumerate(orders[n - rated :]):
        ratings.append(
            Rating.objects.create(
                order=order,
                provider=provider,
                customer=order.customer,
                attitude=scores[0],
                result=scores[1],
                compliance=scores[2],
                comment=f"{comment} {i}",
            )
        )
    return ratings


def listed_call(provider, milestone=10, **kwargs):
    return ProviderFeedbackCall.objects.create(
        provider=provider,
        milestone=milestone,
        due_at=kwargs.pop("due_at", timezone.now() + timedelta(days=2)),
        **kwargs,
    )


# Putting calls on the list -----------------------------------------------------------------


def test_the_tenth_completed_order_lists_one_call_with_the_recent_ratings(provider, time_machine):
    time_machine.move_to(NOW, tick=False)
    ratings = complete(provider, 10, rated=9)
    other = ProviderFactory()
    complete(other, 3, rated=3)  # someone else's ratings stay off this call

    call = services.schedule_feedback_call_if_due(provider_id=provider.pk)

    assert ProviderFeedbackCall.objects.get() == call
    assert (call.provider, call.milestone, call.status) == (provider, 10, FeedbackCallStatus.OPEN)
    assert call.due_at == timezone.now() + timedelta(days=2)
    assert (call.called_by, call.called_at, call.outcome, call.notes) == (None, None, "", "")
    assert set(call.ratings.all()) == set(ratings)


@pytest.mark.parametrize("completed", [9, 11])
def test_the_ninth_and_eleventh_completed_orders_list_no_call(provider, completed):
    complete(provider, completed, rated=completed)
    assert services.schedule_feedback_call_if_due(provider_id=provider.pk) is None
    assert ProviderFeedbackCall.objects.count() == 0


def test_a_provider_with_no_completed_orders_gets_no_call(provider):
    OrderFactory(provider=provider, status=OrderStatus.CONFIRMED)
    assert services.schedule_feedback_call_if_due(provider_id=provider.pk) is None
    assert ProviderFeedbackCall.objects.count() == 0


def test_running_the_task_twice_lists_one_call(provider):
    complete(provider, 10, rated=2)
    first = schedule_feedback_call_task.delay(provider.pk).get()
    second = schedule_feedback_call_task.delay(provider.pk).get()
    call = ProviderFeedbackCall.objects.get()
    assert (first, second) == (call.pk, None)
    assert call.ratings.count() == 2


def test_the_next_call_carries_only_ratings_not_read_out_before(provider):
    old = complete(provider, 10, rated=9, comment="Before")
    first = services.schedule_feedback_call_if_due(provider_id=provider.pk)
    assert set(first.ratings.all()) == set(old)
    # The first job's rating came in after the first call was listed; then nine more jobs.
    unrated = provider.orders.filter(rating__isnull=True).get()
    late = Rating.objects.create(
        order=unrated,
        provider=provider,
        customer=unrated.customer,
        attitude=2,
        result=2,
        compliance=2,
        comment="Late",
    )
    new = complete(provider, 10, rated=9, comment="After")  # 20 completed orders in all
    second = services.schedule_feedback_call_if_due(provider_id=provider.pk)
    assert second.milestone == 20
    assert set(second.ratings.all()) == {late, *new}
    assert set(first.ratings.all()) == set(old)


def test_at_most_n_of_the_newest_ratings_are_attached(provider, settings):
    settings.FEEDBACK_CALL_EVERY_N_ORDERS = 5
    ratings = complete(provider, 10, rated=10)
    call = services.schedule_feedback_call_if_due(provider_id=provider.pk)
    assert call.milestone == 10
    assert set(call.ratings.all()) == set(ratings[5:])


def test_the_sweep_lists_a_missing_latest_milestone_call(provider, other_provider):
    complete(provider, 12, rated=3)  # the message for the tenth order was lost
    complete(other_provider, 10)
    listed_call(other_provider, 10)  # already listed
    quiet = ProviderFactory()
    complete(quiet, 7)
    removed = ProviderFactory(status=ProviderStatus.REMOVED)
    complete(removed, 10)
    veteran = ProviderFactory()
    complete(veteran, 25)
    listed_call(veteran, 10)  # milestone 20 missed

    assert sweep_feedback_calls_task.delay().get() == 2

    calls = ProviderFeedbackCall.objects.filter(status=FeedbackCallStatus.OPEN)
    assert sorted(calls.values_list("provider_id", "milestone")) == sorted(
        [(provider.pk, 10), (other_provider.pk, 10), (veteran.pk, 10), (veteran.pk, 20)]
    )
    assert calls.get(provider=provider).ratings.count() == 3
    assert sweep_feedback_calls_task.delay().get() == 0
    assert ProviderFeedbackCall.objects.count() == 4


def test_the_sweep_runs_hourly_on_beat():
    entry = celery_app.conf.beat_schedule["sweep-feedback-calls"]
    assert entry["task"] == "reviews.tasks.sweep_feedback_calls_task"
    assert entry["schedule"].minute == {17}
    assert entry["schedule"].hour == set(range(24))


def test_completing_a_job_lists_the_call_through_the_signal_and_the_task(
    provider, django_capture_on_commit_callbacks
):
    ratings = complete(provider, 9, rated=4)
    order = OrderFactory(provider=provider, status=OrderStatus.IN_PROGRESS)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        order_lifecycle.complete_job(order=order, provider=provider, summary="Cleaned as booked.")
    assert len(callbacks) >= 1
    call = ProviderFeedbackCall.objects.get()
    assert (call.provider, call.milestone) == (provider, 10)
    assert set(call.ratings.all()) == set(ratings)
    # The eleventh completion lists nothing more.
    order = OrderFactory(provider=provider, status=OrderStatus.IN_PROGRESS)
    with django_capture_on_commit_callbacks(execute=True):
        order_lifecycle.complete_job(order=order, provider=provider, summary="Cleaned as booked.")
    assert ProviderFeedbackCall.objects.count() == 1


def test_a_refused_completion_enqueues_nothing(provider, django_capture_on_commit_callbacks):
    complete(provider, 9)
    order = OrderFactory(provider=provider, status=OrderStatus.CONFIRMED)  # not started
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(order_common.OrderError),
    ):
        order_lifecycle.complete_job(order=order, provider=provider, summary="Cleaned as booked.")
    assert callbacks == []
    assert ProviderFeedbackCall.objects.count() == 0


def test_the_enqueue_waits_for_the_commit(provider, django_capture_on_commit_callbacks):
    complete(provider, 9)
    order = OrderFactory(provider=provider, status=OrderStatus.IN_PROGRESS)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        order_lifecycle.complete_job(order=order, provider=provider, summary="Cleaned as booked.")
        assert ProviderFeedbackCall.objects.count() == 0
    assert ProviderFeedbackCall.objects.count() == 0  # nothing ran inside the transaction
    for callback in callbacks:
        callback()
    assert ProviderFeedbackCall.objects.get().milestone == 10


# Recording the call ------------------------------------------------------------------------


def test_quality_staff_record_the_outcome_on_the_staff_page(
    quality_client, quality_staff, provider, time_machine
):
    time_machine.move_to(NOW, tick=False)
    call = listed_call(provider)
    response = quality_client.post(
        reverse("reviews:staff_call", args=[call.pk]),
        {
            f"call-{call.pk}-status": "done",
            f"call-{call.pk}-outcome": "training_advised",
            f"call-{call.pk}-notes": " Read out the comments; she asked for the ironing course. ",
        },
    )
    assert response.status_code == 302
    assert response.url == reverse("reviews:staff_calls")
    call.refresh_from_db()
    assert call.status == FeedbackCallStatus.DONE
    assert call.outcome == "training_advised"
    assert call.notes == "Read out the comments; she asked for the ironing course."
    assert (call.called_by, call.called_at) == (quality_staff, timezone.now())


def test_an_unreachable_provider_stays_on_the_list_until_reached(quality_staff, provider):
    call = listed_call(provider)
    services.record_feedback_call(
        call=call, actor=quality_staff, status="unreachable", outcome="other", notes="No answer"
    )
    call.refresh_from_db()
    assert (call.status, call.outcome, call.notes) == ("unreachable", "", "No answer")
    services.record_feedback_call(
        call=call, actor=quality_staff, status="done", outcome="feedback_given", notes="Talked"
    )
    call.refresh_from_db()
    assert (call.status, call.outcome, call.notes) == ("done", "feedback_given", "Talked")


def test_a_done_call_is_final(quality_client, quality_staff, provider):
    call = listed_call(provider)
    services.record_feedback_call(
        call=call, actor=quality_staff, status="done", outcome="feedback_given", notes="Talked"
    )
    called_at = ProviderFeedbackCall.objects.get().called_at
    for status, outcome in [("done", "other"), ("unreachable", "")]:
        with pytest.raises(services.FeedbackCallError) as error:
            services.record_feedback_call(
                call=call, actor=quality_staff, status=status, outcome=outcome, notes="Again"
            )
        assert error.value.messages == ["This call is done already; its record cannot change."]
    response = quality_client.post(
        reverse("reviews:staff_call", args=[call.pk]),
        {f"call-{call.pk}-status": "done", f"call-{call.pk}-outcome": "other",
         f"call-{call.pk}-notes": "Again"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "This call is done already; its record cannot change." in response.content.decode()
    call.refresh_from_db()
    assert (call.status, call.outcome, call.notes, call.called_at) == (
        "done",
        "feedback_given",
        "Talked",
        called_at,
    )


@pytest.mark.parametrize(
    ("status", "outcome", "notes", "message"),
    [
        ("done", "", "Talked", "Choose the outcome of the call."),
        ("done", "praise", "Talked", "Choose the outcome of the call."),
        ("done", "feedback_given", "  ", "Write down what was said."),
        ("open", "", "", "Say whether the call was made or the provider was not reached."),
    ],
)
def test_a_call_is_recorded_with_an_outcome_and_what_was_said(
    quality_staff, provider, status, outcome, notes, message
):
    call = listed_call(provider)
    with pytest.raises(services.FeedbackCallError) as error:
        services.record_feedback_call(
            call=call, actor=quality_staff, status=status, outcome=outcome, notes=notes
        )
    assert error.value.messages == [message]
    call.refresh_from_db()
    assert (call.status, call.outcome, call.notes, call.called_by) == ("open", "", "", None)


@pytest.mark.parametrize(
    "who", ["customer", "provider", "vetting", "staff_without_group", "quality_not_staff"]
)
def test_only_quality_and_support_staff_may_record_a_call(provider, who):
    actor = {
        "customer": lambda: CustomerFactory(),
        "provider": lambda: provider.user,
        "vetting": lambda: staff(StaffGroup.VETTING),
        "staff_without_group": lambda: staff(),
        "quality_not_staff": lambda: staff(StaffGroup.QUALITY, is_staff=False),
    }[who]()
    call = listed_call(provider)
    with pytest.raises(services.FeedbackCallError):
        services.record_feedback_call(
            call=call, actor=actor, status="done", outcome="other", notes="Talked"
        )
    call.refresh_from_db()
    assert (call.status, call.called_by) == ("open", None)


@pytest.mark.parametrize("group", [StaffGroup.SUPPORT, None])
def test_support_staff_and_superusers_may_record_a_call(provider, operator, group):
    actor = staff(group) if group else operator
    call = listed_call(provider)
    services.record_feedback_call(
        call=call, actor=actor, status="done", outcome="provider_disputes", notes="Disagrees"
    )
    call.refresh_from_db()
    assert (call.status, call.called_by) == ("done", actor)


# The staff page ----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["customer", "provider", "vetting"])
def test_the_call_list_is_refused_to_others(client, provider, who):
    user = {
        "customer": lambda: CustomerFactory(),
        "provider": lambda: provider.user,
        "vetting": lambda: staff(StaffGroup.VETTING),
    }[who]()
    call = listed_call(provider)
    client.force_login(user)
    assert client.get(reverse("reviews:staff_calls")).status_code == 403
    assert client.get(reverse("reviews:staff_call", args=[call.pk])).status_code == 403
    response = client.post(
        reverse("reviews:staff_call", args=[call.pk]),
        {f"call-{call.pk}-status": "done", f"call-{call.pk}-outcome": "other",
         f"call-{call.pk}-notes": "x"},
    )  # fmt: skip
    assert response.status_code == 403
    call.refresh_from_db()
    assert call.status == "open"


def test_the_call_list_asks_a_visitor_to_log_in(client):
    response = client.get(reverse("reviews:staff_calls"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


@pytest.mark.parametrize("group", [StaffGroup.QUALITY, StaffGroup.SUPPORT])
def test_quality_and_support_staff_open_the_call_list(client, provider, group):
    listed_call(provider)
    client.force_login(staff(group))
    assert client.get(reverse("reviews:staff_calls")).status_code == 200


def test_the_list_shows_open_calls_first_oldest_due_first_with_the_ratings(
    quality_client, quality_staff, time_machine
):
    time_machine.move_to(NOW, tick=False)
    amir = ProviderFactory(user__full_name="Amir Late", user__phone="+989121110001")
    bita = ProviderFactory(user__full_name="Bita Early", user__phone="+989121110002")
    cyrus = ProviderFactory(user__full_name="Cyrus Done")
    dara = ProviderFactory(user__full_name="Dara Unreached")
    later = listed_call(amir, due_at=NOW + timedelta(days=2))
    sooner = listed_call(bita, due_at=NOW + timedelta(days=1))
    done = listed_call(cyrus, due_at=NOW - timedelta(days=5))
    services.record_feedback_call(
        call=done, actor=quality_staff, status="done", outcome="feedback_given", notes="Fine"
    )
    unreached = listed_call(dara, due_at=NOW - timedelta(days=1))
    services.record_feedback_call(
        call=unreached, actor=quality_staff, status="unreachable", outcome="", notes=""
    )
    (rating,) = complete(bita, 1, rated=1, comment="Left the balcony dusty", scores=(4, 2, 5))
    sooner.ratings.add(rating)

    response = quality_client.get(reverse("reviews:staff_calls"))

    assert [row["call"] for row in response.context["rows"]] == [sooner, later, unreached, done]
    assert [row["form"] is None for row in response.context["rows"]] == [
        False,
        False,
        False,
        True,
    ]
    page = response.content.decode()
    assert "Bita Early" in page
    assert "After 10 completed orders" in page
    assert 'href="tel:+989121110002"' in page
    assert "Left the balcony dusty 0" in page
    assert "Attitude 4/5 · Result 2/5 · Kept to the contract 5/5" in page
    assert f"Order #{rating.order_id}" in page
    assert f'action="{reverse("reviews:staff_call", args=[sooner.pk])}"' in page
    assert f'action="{reverse("reviews:staff_call", args=[done.pk])}"' not in page


def test_the_list_is_paginated_by_25(quality_client):
    providers = ProviderFactory.create_batch(26)
    for provider in providers:
        listed_call(provider)
    first = quality_client.get(reverse("reviews:staff_calls"))
    second = quality_client.get(reverse("reviews:staff_calls"), {"page": 2})
    assert len(first.context["rows"]) == 25
    assert len(second.context["rows"]) == 1


def _calls_with_ratings(count):
    for provider in ProviderFactory.create_batch(count):
        call = listed_call(provider)
        call.ratings.set(complete(provider, 2, rated=2))


def test_the_call_list_query_count_does_not_grow_with_calls(
    quality_client, django_assert_max_num_queries
):
    _calls_with_ratings(2)
    with CaptureQueriesContext(connection) as few:
        assert quality_client.get(reverse("reviews:staff_calls")).status_code == 200
    _calls_with_ratings(20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = quality_client.get(reverse("reviews:staff_calls"))
    assert len(response.context["rows"]) == 22
    assert len(few.captured_queries) <= 8


# The admin ---------------------------------------------------------------------------------


def test_the_admin_lists_filters_and_searches_calls(client, quality_staff, provider):
    call = listed_call(provider)
    other = listed_call(ProviderFactory())
    services.record_feedback_call(
        call=other, actor=quality_staff, status="done", outcome="other", notes="Fine"
    )
    client.force_login(quality_staff)
    url = reverse("admin:reviews_providerfeedbackcall_changelist")
    assert client.get(url).context["cl"].result_count == 2
    assert client.get(url, {"status__exact": "open"}).context["cl"].result_count == 1
    assert client.get(url, {"outcome__exact": "other"}).context["cl"].result_count == 1
    found = client.get(url, {"q": str(provider.user.phone)}).context["cl"]
    assert list(found.result_list) == [call]


@pytest.mark.parametrize("rows", [3, 20])
def test_the_admin_call_list_query_count_does_not_grow(
    client, quality_staff, rows, django_assert_max_num_queries
):
    _calls_with_ratings(rows)
    client.force_login(quality_staff)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("admin:reviews_providerfeedbackcall_changelist"))
    assert response.context["cl"].result_count == rows


def test_the_admin_shows_the_ratings_read_only_and_records_through_the_service(
    client, quality_staff, provider
):
    call = listed_call(provider)
    (rating,) = complete(provider, 1, rated=1, comment="Broke a vase")
    call.ratings.add(rating)
    client.force_login(quality_staff)
    url = reverse("admin:reviews_providerfeedbackcall_change", args=[call.pk])
    page = client.get(url).content.decode()
    assert "Broke a vase 0" in page
    assert 'name="ratings"' not in page
    # A done call without an outcome is refused, nothing saved.
    response = client.post(url, {"status": "done", "outcome": "", "notes": "Talked"})
    assert response.status_code == 200
    assert "Choose the outcome of the call." in response.content.decode()
    call.refresh_from_db()
    assert call.status == "open"
    response = client.post(
        url, {"status": "done", "outcome": "provider_disputes", "notes": "Says the vase was old"}
    )
    assert response.status_code == 302
    call.refresh_from_db()
    assert (call.status, call.outcome) == ("done", "provider_disputes")
    assert call.called_by == quality_staff
    assert list(call.ratings.all()) == [rating]
    # Done is final: the change page is read only now.
    response = client.post(url, {"status": "unreachable", "outcome": "", "notes": "x"})
    assert response.status_code == 403
    call.refresh_from_db()
    assert call.status == "done"


@pytest.mark.parametrize("viewer", ["superuser", StaffGroup.VETTING, StaffGroup.QUALITY])
def test_the_calls_show_on_the_providers_record(client, operator, quality_staff, provider, viewer):
    call = listed_call(provider)
    services.record_feedback_call(
        call=call, actor=quality_staff, status="done", outcome="feedback_given", notes="Grateful"
    )
    client.force_login(operator if viewer == "superuser" else staff(viewer))
    page = client.get(reverse("admin:providers_provider_change", args=[provider.pk]))
    assert page.status_code == 200
    content = page.content.decode()
    assert "Feedback calls" in content
    assert "Grateful" in content
    assert reverse("admin:reviews_providerfeedbackcall_change", args=[call.pk]) in content
