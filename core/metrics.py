"""Prometheus metrics beyond django-prometheus's requests, views and latencies.

- **Gauges read at scrape time** from the database and the broker: the outbox's backlog and its
  oldest waiting task, the length of Celery's queue, and whatever the apps register with
  `register_gauge()` in their `AppConfig.ready` (core imports no app: matching registers the
  pending offers, orders the orders looking for a provider). They are read when /metrics is
  scraped, so every web process reports the same numbers and nothing has to run in between.
- **Celery task outcomes**: `homeservices_celery_tasks_total{task, outcome}` counts tasks that
  succeeded, failed and were retried, in the process that ran them. Workers are not scraped
  through the web: with `WORKER_METRICS_PORT` (and `PROMETHEUS_MULTIPROC_DIR`, where the prefork
  pool's children write their counters) each worker serves its own on that port.

`exposition()` renders what /metrics shows; who may read it is core.probes' business.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import redis
from celery.signals import task_failure, task_retry, task_success, worker_init
from django.conf import settings
from django.db import DatabaseError
from django.db.models import Min
from django.utils import timezone
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    generate_latest,
    start_http_server,
)
from prometheus_client import multiprocess as prometheus_multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from .models import OutboxTask

logger = logging.getLogger(__name__)

PREFIX = "homeservices_"
# Queues of the Redis transport: the queue itself and one list per priority step above 0.
_PRIORITY_SEPARATOR = "\x06\x16"
_PRIORITY_STEPS = (3, 6, 9)

celery_tasks = Counter(
    f"{PREFIX}celery_tasks",
    "Celery tasks finished, by task and outcome (succeeded, failed, retried).",
    ["task", "outcome"],
)

# name -> (help text, a callable returning the value, or None when there is nothing to report)
_gauges: dict[str, tuple[str, Callable[[], float | None]]] = {}


def register_gauge(name: str, documentation: str, read: Callable[[], float | None]) -> None:
    """Report `read()` as the gauge `homeservices_<name>` at every scrape. `read` should be one
    cheap query; registering a name again replaces it."""
    _gauges[f"{PREFIX}{name}"] = (documentation, read)


class ScrapeTimeGauges(Collector):
    """The registered gauges, read when Prometheus scrapes. A gauge whose source is down is left
    out of that scrape (and logged) rather than failing the whole page."""

    def describe(self) -> list:
        return []  # registering this collector must not query anything

    def collect(self) -> Iterator[GaugeMetricFamily]:
        for name, (documentation, read) in sorted(_gauges.items()):
            try:
                value = read()
            except (DatabaseError, redis.RedisError, OSError) as error:
                logger.warning("Metric %s not read: %r", name, error)
                continue
            if value is not None:
                yield GaugeMetricFamily(name, documentation, value=value)


scrape_time_gauges = ScrapeTimeGauges()


def outbox_waiting() -> float:
    return OutboxTask.objects.filter(done_at__isnull=True).count()


def outbox_oldest_waiting_seconds() -> float:
    oldest = OutboxTask.objects.filter(done_at__isnull=True).aggregate(at=Min("created_at"))["at"]
    return 0.0 if oldest is None else max(0.0, (timezone.now() - oldest).total_seconds())


def celery_queue_length() -> float | None:
    """Messages waiting in Celery's default queue (Redis LLEN), or None in the embedded mode."""
    if settings.CELERY_TASK_ALWAYS_EAGER or not settings.CELERY_BROKER_URL.startswith("redis"):
        return None
    queue = getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery")
    names = [queue, *(f"{queue}{_PRIORITY_SEPARATOR}{step}" for step in _PRIORITY_STEPS)]
    timeout = settings.HEALTH_CHECK_TIMEOUT_SECONDS
    client = redis.Redis.from_url(
        settings.CELERY_BROKER_URL, socket_timeout=timeout, socket_connect_timeout=timeout
    )
    try:
        pipeline = client.pipeline(transaction=False)
        for name in names:
            pipeline.llen(name)
        return float(sum(pipeline.execute()))
    finally:
        client.close()


register_gauge(
    "outbox_waiting", "Outbox tasks not done yet (core.OutboxTask, R-SEC-4).", outbox_waiting
)
register_gauge(
    "outbox_oldest_waiting_seconds",
    "Age of the oldest outbox task not done yet, in seconds (0 when none waits).",
    outbox_oldest_waiting_seconds,
)
register_gauge(
    "celery_queue_length", "Messages waiting in Celery's default queue.", celery_queue_length
)


_installed = False


def install() -> None:
    """Add the scrape-time gauges to the default registry, once per process."""
    global _installed
    if not _installed:
        REGISTRY.register(scrape_time_gauges)
        _installed = True


def exposition() -> bytes:
    """What /metrics shows. With PROMETHEUS_MULTIPROC_DIR set (several gunicorn workers share
    one directory), the counters of every process in it, added up."""
    if settings.PROMETHEUS_MULTIPROC_DIR:
        registry = CollectorRegistry()
        prometheus_multiprocess.MultiProcessCollector(registry)
        registry.register(scrape_time_gauges)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


# Celery task outcomes, counted in the process that ran the task.


@task_success.connect
def _count_success(sender=None, **_kwargs) -> None:
    celery_tasks.labels(task=getattr(sender, "name", "?"), outcome="succeeded").inc()


@task_failure.connect
def _count_failure(sender=None, **_kwargs) -> None:
    celery_tasks.labels(task=getattr(sender, "name", "?"), outcome="failed").inc()


@task_retry.connect
def _count_retry(sender=None, **_kwargs) -> None:
    celery_tasks.labels(task=getattr(sender, "name", "?"), outcome="retried").inc()


@worker_init.connect
def serve_worker_metrics(**_kwargs) -> None:
    """In a worker's main process, with WORKER_METRICS_PORT set: serve the counters its pool's
    processes write to PROMETHEUS_MULTIPROC_DIR. Files left by earlier runs are removed first."""
    port = settings.WORKER_METRICS_PORT
    if not port:
        return
    directory = Path(settings.PROMETHEUS_MULTIPROC_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    mine = f"_{os.getpid()}.db"
    for stale in directory.glob("*.db"):
        if not stale.name.endswith(mine):
            stale.unlink(missing_ok=True)
    registry = CollectorRegistry()
    prometheus_multiprocess.MultiProcessCollector(registry, path=str(directory))
    start_http_server(port, registry=registry)
    logger.info("Worker metrics served on port %d", port)
