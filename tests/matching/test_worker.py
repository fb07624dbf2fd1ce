"""Matching runs in a real Celery worker on Redis, never in the web request (R-MAT-3).

The rest of the suite runs Celery eagerly (see tests/conftest.py). This test switches the app to
the Redis broker for its duration, books an order through the web view, checks that the request
left the order `requested` with the task waiting in the queue, then starts an in-process worker
and waits for it to offer the order to the one eligible provider and to finish every task it was
given (the messages too). Every wait returns as soon as its event happens; the deadline is only
there so a broken worker fails the test instead of hanging it, and is generous for a busy machine.
"""

import os
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta

import pytest
from celery.signals import after_task_publish, task_postrun
from django.conf import settings
from django.utils import timezone

from config.celery import app
from matching.models import Offer, OfferStatus
from orders.models import Order, OrderEvent, OrderStatus

from ..factories import AreaFactory, CustomerFactory, ProviderFactory, ServiceTypeFactory

pytestmark = [
    pytest.mark.requirement("R-MAT-3"),
    pytest.mark.celery_worker,
]

EVENT_DEADLINE_SECONDS = 180


@pytest.fixture(autouse=True)
def _auto_mode(settings):
    # The worker offers the order at once (recommend mode is covered in test_recommendations).
    settings.MATCHING_MODE = "auto"


def _redis_unreachable_reason() -> str | None:
    url = settings.REDIS_URL
    if not url:
        return "REDIS_URL is not set"
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping()
    except redis.RedisError as exc:
        return f"Redis at {url} is unreachable: {exc}"
    return None


@pytest.fixture
def redis_broker():
    """The Redis URL; skips without Redis locally, fails without it in CI."""
    reason = _redis_unreachable_reason()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"The Celery worker test needs Redis in CI: {reason}")
        pytest.skip(f"{reason}; the real-worker test needs Redis (it is required when CI is set)")
    return settings.REDIS_URL


@contextmanager
def _celery_on_redis(broker_url: str, queue: str):
    """Publish tasks to `queue` on Redis instead of running them inline; restore afterwards."""
    conf = app.conf
    saved = {
        name: conf[name]
        for name in (
            "task_always_eager",
            "broker_url",
            "task_default_queue",
            "worker_hijack_root_logger",
        )
    }
    conf.update(
        task_always_eager=False,
        broker_url=broker_url,
        # A queue of our own: no stale message of another run, and no other worker steals ours.
        task_default_queue=queue,
        # Keep pytest's and Django's logging handlers on the root logger.
        worker_hijack_root_logger=False,
    )
    _reset_producer_pool()  # publish through connections to this broker
    queues = app.amqp.queues
    saved_consume_from = queues._consume_from
    try:
        yield
    finally:
        conf.update(saved)
        queues._consume_from = saved_consume_from
        try:
            with app.connection_for_write(broker_url) as conn:
                # Declared on this channel first, so the delete also drops its binding keys.
                bound = queues[queue](conn.default_channel)
                bound.declare()
                bound.delete()
        finally:
            _reset_producer_pool()


def _reset_producer_pool() -> None:
    # As Celery does after a fork: the next publish picks a pool for the current broker_url.
    # kombu keeps the pools themselves (per connection URL) for reuse, so none is closed here.
    app._pool = None
    app.amqp._producer_pool = None


def _queued_messages(broker_url: str, queue: str) -> int:
    with app.connection_for_write(broker_url) as conn:
        return conn.default_channel.queue_declare(queue=queue).message_count


class TaskLedger:
    """The ids of the tasks published and of those a worker finished, in this process."""

    def __init__(self):
        self.published: set[str] = set()
        self.finished: set[str] = set()
        self.lock = threading.Lock()

    def on_publish(self, sender=None, headers=None, **kwargs):
        with self.lock:
            self.published.add((headers or {}).get("id"))

    def on_finish(self, sender=None, task_id=None, **kwargs):
        with self.lock:
            self.finished.add(task_id)

    def all_done(self) -> bool:
        with self.lock:
            return bool(self.published) and self.published <= self.finished


@contextmanager
def _task_ledger():
    ledger = TaskLedger()
    after_task_publish.connect(ledger.on_publish, weak=False)
    task_postrun.connect(ledger.on_finish, weak=False)
    try:
        yield ledger
    finally:
        after_task_publish.disconnect(ledger.on_publish)
        task_postrun.disconnect(ledger.on_finish)


def _wait_for(event, what: str) -> None:
    """Return as soon as `event()` is true; fail after a deadline no healthy run comes near."""
    deadline = time.monotonic() + EVENT_DEADLINE_SECONDS
    while not event():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {EVENT_DEADLINE_SECONDS} s for {what}")
        time.sleep(0.1)


def _offered(order: Order) -> bool:
    order.refresh_from_db()
    return order.status != OrderStatus.REQUESTED


def test_matching_runs_in_the_worker_not_in_the_booking_request(
    redis_broker, transactional_db, client, sms_outbox
):
    from celery.contrib.testing.worker import start_worker

    assert "matching.tasks.match_order_task" in app.tasks
    service = ServiceTypeFactory()
    area = AreaFactory()
    provider = ProviderFactory(user__full_name="Maryam Provider")
    ProviderFactory(areas=[AreaFactory(code="south", name="South district")])  # not eligible
    customer = CustomerFactory()
    client.force_login(customer)
    day = timezone.localdate() + timedelta(days=1)
    queue = f"test-matching-{uuid.uuid4().hex[:12]}"

    with _celery_on_redis(redis_broker, queue), _task_ledger() as ledger:
        response = client.post(
            "/orders/book/",
            {
                "service_type": service.pk,
                "area": area.pk,
                "address": "12 Valiasr Street",
                "day": day.isoformat(),
                "start": "10:00",
                "home_area_sqm": 80,
                "confirm": "1",
            },
        )

        # The request saved the order and queued the match, but did not match it.
        assert response.status_code == 302, response.content.decode()[:2000]
        order = Order.objects.get(customer=customer)
        assert response.url == f"/orders/{order.pk}/"
        assert order.status == OrderStatus.REQUESTED
        assert not Offer.objects.filter(order=order).exists()
        assert _queued_messages(redis_broker, queue) == 2  # the match and the "received" SMS
        assert len(ledger.published) == 2 and not ledger.finished

        # Matching happens only once a worker consumes the queue.
        with start_worker(
            app,
            pool="solo",
            concurrency=1,
            perform_ping_check=False,
            loglevel="WARNING",
            shutdown_timeout=10,
            queues=[queue],
        ):
            _wait_for(lambda: _offered(order), "the worker to offer the order")
            # The offer queued the provider's message: the worker takes it and the "received"
            # one before it stops; nothing it was given is left behind.
            _wait_for(ledger.all_done, "the worker to finish every task it was given")

        assert _queued_messages(redis_broker, queue) == 0
        assert len(ledger.published) >= 3

    assert order.status == OrderStatus.OFFERED, f"the worker left the order {order.status}"
    offer = Offer.objects.get(order=order)
    assert offer.provider == provider
    assert offer.status == OfferStatus.PENDING
    assert offer.expires_at > timezone.now()
    texts = {message["to"]: message["text"] for message in sms_outbox}
    assert f"#{order.pk}" in texts[str(customer.phone)]
    assert "New job offer" in texts[str(provider.user.phone)]
    assert list(
        OrderEvent.objects.filter(order=order).order_by("pk").values_list("to_status", flat=True)
    ) == [OrderStatus.REQUESTED, OrderStatus.OFFERED]
