"""Health, metrics and errors: /healthz answers without touching anything; /readyz checks the
database, the cache, the broker and beat's heartbeat, answers 503 within seconds when one is
down (R-SEC-4) and "not used" for what the embedded mode does without; /metrics is for allowed
addresses or a bearer token only; Celery outcomes are counted; Sentry starts only with a DSN;
production logs are one JSON object per line."""

import json
import logging
import os
import re
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import OperationalError
from django.utils import timezone
from prometheus_client import REGISTRY

from config.celery import app as celery_app
from core import error_reports, health, metrics
from core.logs import JsonFormatter, RequestIdFilter, request_id
from core.models import Heartbeat, OutboxTask
from core.tasks import heartbeat_task
from matching.services.offers import make_offer
from tests.factories import OrderFactory

ROOT = Path(__file__).resolve().parents[2]
CLOSED = "redis://127.0.0.1:1/0"


@pytest.fixture
def redis_url(settings):
    if not settings.REDIS_URL:
        pytest.skip("needs Redis: set REDIS_URL")
    return settings.REDIS_URL


@pytest.fixture
def production_like(settings, redis_url):
    """Real Celery (broker, worker, beat) and the shared cache on the test's Redis."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = redis_url
    settings.CACHES = {"default": {"BACKEND": "config.cache.RedisCache", "LOCATION": redis_url}}
    return settings


def readyz(client, **extra):
    started = time.monotonic()
    response = client.get("/readyz", **extra)
    return response, response.json(), time.monotonic() - started


# /healthz


def test_healthz_answers_ok_without_touching_the_database(client):
    # No database access is allowed in this test: a query would raise.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert response["Cache-Control"] == "no-store"


def test_probes_answer_any_host_name_without_login_or_language_redirect(client, settings):
    settings.ALLOWED_HOSTS = ["book.example.com"]
    # A load balancer probes by address, in no language, with no session.
    response = client.get("/healthz/", HTTP_HOST="10.0.0.7", HTTP_ACCEPT_LANGUAGE="fa")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert "Set-Cookie" not in response
    assert client.get("/", HTTP_HOST="10.0.0.7").status_code == 400  # the rest still checks


def test_every_response_names_its_request_id(client):
    given = client.get("/healthz", HTTP_X_REQUEST_ID="edge-42.a_b")
    assert given["X-Request-ID"] == "edge-42.a_b"
    made_up = client.get("/healthz", HTTP_X_REQUEST_ID="bad id\nforged: line")
    assert made_up["X-Request-ID"] != "bad id\nforged: line"
    assert len(made_up["X-Request-ID"]) == 32


# /readyz


@pytest.mark.requirement("R-SEC-4")
@pytest.mark.django_db(transaction=True)
def test_readyz_is_ready_when_everything_answers(client, production_like):
    heartbeat_task()
    response, body, _ = readyz(client)
    assert response.status_code == 200
    assert body["status"] == "ready"
    assert {name: check["status"] for name, check in body["checks"].items()} == {
        "database": "ok",
        "cache": "ok",
        "broker": "ok",
        "beat_and_worker": "ok",
    }
    assert re.fullmatch(
        r"The last heartbeat ran \d s ago\.", body["checks"]["beat_and_worker"]["reason"]
    )


@pytest.mark.django_db
def test_readyz_in_the_embedded_mode_is_ready_without_broker_worker_or_beat(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the embedded mode: no Redis, eager tasks
    response, body, _ = readyz(client)
    assert response.status_code == 200
    assert body == {
        "status": "ready",
        "checks": {
            "database": {"status": "ok"},
            "cache": {
                "status": "not used",
                "reason": "Each process keeps its own cache (REDIS_URL is not set).",
            },
            "broker": {
                "status": "not used",
                "reason": "Tasks run inside the web process (embedded mode).",
            },
            "beat_and_worker": {
                "status": "not used",
                "reason": "No worker or beat: tasks run inside the web process.",
            },
        },
    }


@pytest.mark.requirement("R-SEC-4")
@pytest.mark.django_db
def test_readyz_fails_when_the_database_does_not_answer(
    client, production_like, monkeypatch, caplog
):
    def database_down():
        raise OperationalError('connection to server at "db.internal" failed: password=hunter2')

    monkeypatch.setattr(health, "database", database_down)
    response, body, _ = readyz(client)
    assert response.status_code == 503
    assert body["status"] == "not ready"
    assert body["checks"]["database"] == {
        "status": "failed",
        "reason": "Unreachable (OperationalError).",
    }
    assert body["checks"]["cache"]["status"] == "ok"
    # Whatever the error said stays in the server's log, once: not again as a 503 at ERROR.
    assert "hunter2" not in response.content.decode()
    assert "db.internal" not in response.content.decode()
    logged = [(r.name, r.levelname) for r in caplog.records if "database" in r.getMessage()]
    assert logged == [("core.health", "WARNING")]
    assert not [r for r in caplog.records if r.name == "django.request"]


@pytest.mark.requirement("R-SEC-4")
@pytest.mark.django_db
def test_readyz_fails_fast_with_the_cache_and_broker_redis_closed(client, production_like):
    production_like.CACHES = {"default": {"BACKEND": "config.cache.RedisCache", "LOCATION": CLOSED}}
    production_like.CELERY_BROKER_URL = CLOSED
    response, body, seconds = readyz(client)
    assert response.status_code == 503
    assert seconds < 4
    assert body["checks"]["cache"] == {
        "status": "failed",
        "reason": "Unreachable (ConnectionError).",
    }
    assert body["checks"]["broker"] == {
        "status": "failed",
        "reason": "Unreachable (OperationalError).",
    }
    assert body["checks"]["database"]["status"] == "ok"
    assert "127.0.0.1" not in response.content.decode()


@pytest.mark.requirement("R-SEC-4")
@pytest.mark.django_db
def test_readyz_never_waits_longer_than_the_timeout_for_a_hanging_check(
    client, settings, monkeypatch
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.HEALTH_CHECK_TIMEOUT_SECONDS = 0.5
    release = threading.Event()
    calls = []

    def hanging():
        calls.append(1)
        release.wait(30)
        return health.Check(health.OK)

    monkeypatch.setattr(health, "database", hanging)
    try:
        response, body, seconds = readyz(client)
        assert response.status_code == 503
        assert seconds < 5  # the check would hang for 30 s
        assert body["checks"]["database"] == {
            "status": "failed",
            "reason": "No answer within 0.5 s.",
        }
        # A second probe waits for the same stuck check; it does not start another.
        response, body, seconds = readyz(client)
        assert response.status_code == 503
        assert seconds < 5  # the check would hang for 30 s
        assert calls == [1]
    finally:
        release.set()
        health._running["database"].result(timeout=5)
    response, body, _ = readyz(client)
    assert response.status_code == 200


@pytest.mark.django_db(transaction=True)
def test_readyz_fails_when_the_heartbeat_is_old_or_missing(client, production_like, time_machine):
    response, body, _ = readyz(client)
    assert response.status_code == 503
    assert body["checks"]["beat_and_worker"] == {
        "status": "failed",
        "reason": "No heartbeat yet: are beat and a worker running?",
    }
    time_machine.move_to(timezone.now() - timedelta(minutes=10), tick=False)
    heartbeat_task()
    time_machine.move_to(timezone.now() + timedelta(minutes=10), tick=False)
    response, body, _ = readyz(client)
    assert response.status_code == 503
    assert body["checks"]["beat_and_worker"]["status"] == "failed"
    assert body["checks"]["beat_and_worker"]["reason"].startswith(
        "The last heartbeat ran 600 s ago: beat or every worker is down"
    )
    assert body["checks"]["database"]["status"] == "ok"


@pytest.mark.django_db
def test_the_heartbeat_task_writes_one_row_however_often_it_runs(time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    first = timezone.now()
    heartbeat_task()
    assert list(Heartbeat.objects.values_list("name", "at")) == [("beat", first)]
    time_machine.move_to(first + timedelta(minutes=1), tick=False)
    heartbeat_task()
    heartbeat_task()
    assert list(Heartbeat.objects.values_list("name", "at")) == [
        ("beat", first + timedelta(minutes=1))
    ]


def test_beat_sends_the_heartbeat_every_minute():
    entry = celery_app.conf.beat_schedule["heartbeat"]
    assert entry["task"] == "core.tasks.heartbeat_task"
    assert entry["schedule"].minute == set(range(60))


# /metrics


@pytest.mark.django_db
def test_metrics_answer_404_when_neither_token_nor_addresses_are_configured(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_ADDRESSES = []
    assert client.get("/metrics").status_code == 404


@pytest.mark.django_db
def test_metrics_are_refused_without_the_token(client, settings):
    settings.METRICS_TOKEN = "s3cret-token"
    settings.METRICS_ALLOWED_ADDRESSES = []
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="s3cret-token").status_code == 403


@pytest.mark.django_db
def test_metrics_show_latency_by_view_and_the_platforms_gauges_with_the_token(
    client, settings, provider
):
    settings.METRICS_TOKEN = "s3cret-token"
    settings.METRICS_ALLOWED_ADDRESSES = []
    OrderFactory()  # looking for a provider
    make_offer(order=OrderFactory(), provider_id=provider.pk, reason="test")
    OutboxTask.objects.all().delete()
    OutboxTask.objects.create(function="core.tasks.heartbeat_task")
    OutboxTask.objects.create(function="core.tasks.heartbeat_task", done_at=timezone.now())
    OutboxTask.objects.create(
        function="core.tasks.heartbeat_task", created_at=timezone.now() - timedelta(hours=1)
    )
    assert client.get("/").status_code == 200
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token")
    assert response.status_code == 200
    text = response.content.decode()
    assert (
        'django_http_requests_latency_seconds_by_view_method_count{method="GET",view="home"}'
        in (text)
    )
    assert "homeservices_outbox_waiting 2.0\n" in text
    oldest = next(
        line for line in text.splitlines() if line.startswith("homeservices_outbox_oldest")
    )
    assert 3600 <= float(oldest.split()[1]) < 3660
    assert "homeservices_orders_looking_for_provider 1.0\n" in text
    assert "homeservices_offers_pending 1.0\n" in text
    assert "homeservices_celery_tasks_total" in text
    assert "s3cret-token" not in text


@pytest.mark.django_db
def test_metrics_are_open_to_an_allowed_address(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_ADDRESSES = ["10.0.0.0/8"]
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.9").status_code == 403


@pytest.mark.django_db
def test_a_gauge_whose_source_is_down_is_left_out_not_the_page(client, settings, monkeypatch):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = CLOSED
    response = client.get("/metrics")  # from this machine, allowed in debug
    assert response.status_code == 200
    assert "homeservices_celery_queue_length " not in response.content.decode()
    assert "homeservices_outbox_waiting 0.0" in response.content.decode()


def _count(task: str, outcome: str) -> float:
    value = REGISTRY.get_sample_value(
        "homeservices_celery_tasks_total", {"task": task, "outcome": outcome}
    )
    return value or 0.0


@pytest.mark.django_db
def test_celery_task_outcomes_are_counted():
    name = "core.tasks.heartbeat_task"
    before = {outcome: _count(name, outcome) for outcome in ("succeeded", "failed", "retried")}
    heartbeat_task.apply()
    from celery.signals import task_failure, task_retry

    task_failure.send(sender=heartbeat_task, task_id="1", exception=RuntimeError())
    task_retry.send(sender=heartbeat_task, request=None, reason="broker", einfo=None)
    task_retry.send(sender=heartbeat_task, request=None, reason="broker", einfo=None)
    assert {outcome: _count(name, outcome) - before[outcome] for outcome in before} == {
        "succeeded": 1.0,
        "failed": 1.0,
        "retried": 2.0,
    }


def test_a_worker_serves_its_counters_on_its_port(settings, tmp_path, monkeypatch):
    settings.WORKER_METRICS_PORT = 9808
    settings.PROMETHEUS_MULTIPROC_DIR = str(tmp_path / "worker")
    (tmp_path / "worker").mkdir()
    (tmp_path / "worker" / "counter_1.db").write_bytes(b"left by an earlier run")
    served = []
    monkeypatch.setattr(
        metrics, "start_http_server", lambda port, registry: served.append((port, registry))
    )
    metrics.serve_worker_metrics()
    assert [port for port, _registry in served] == [9808]
    assert list((tmp_path / "worker").iterdir()) == []


def test_a_worker_without_a_metrics_port_serves_nothing(settings, monkeypatch):
    settings.WORKER_METRICS_PORT = 0
    monkeypatch.setattr(metrics, "start_http_server", lambda *a, **k: pytest.fail("served"))
    metrics.serve_worker_metrics()


# Error reports


def test_without_a_dsn_sentry_is_not_started(monkeypatch, settings):
    import sentry_sdk

    calls = []
    monkeypatch.setattr(sentry_sdk, "init", lambda **options: calls.append(options))
    assert error_reports.start_error_reports(dsn="", environment="production", release="") is False
    assert calls == []
    assert settings.SENTRY_DSN == ""
    assert not sentry_sdk.is_initialized()


def test_with_a_dsn_sentry_starts_with_django_and_celery_and_no_personal_data(monkeypatch):
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    calls = []
    monkeypatch.setattr(sentry_sdk, "init", lambda **options: calls.append(options))
    assert error_reports.start_error_reports(
        dsn="https://key@errors.example.com/7", environment="staging", release="1.4.2"
    )
    [options] = calls
    assert options["dsn"] == "https://key@errors.example.com/7"
    assert (options["environment"], options["release"]) == ("staging", "1.4.2")
    assert options["send_default_pii"] is False
    assert options["include_local_variables"] is False
    assert {type(integration) for integration in options["integrations"]} == {
        DjangoIntegration,
        CeleryIntegration,
    }


@pytest.fixture(scope="module")
def configured_process():
    """A process started with SENTRY_DSN (on a closed local port: nothing leaves the machine)
    and DJANGO_LOG_FORMAT=json: is Sentry on, and what does a log line look like?"""
    script = (
        "import django, logging, sentry_sdk; django.setup(); "
        "print(sentry_sdk.is_initialized()); "
        "logging.getLogger('core.test').warning('hello %s', 'json')"
    )
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SENTRY_DSN": "http://key@127.0.0.1:1/1",
        "DJANGO_LOG_FORMAT": "json",
    }
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )


def test_the_settings_start_sentry_when_sentry_dsn_is_set(configured_process):
    assert configured_process.stdout.strip() == "True"


# Logs


def test_the_json_formatter_writes_one_parseable_line_per_record():
    handler = logging.Handler()
    handler.addFilter(RequestIdFilter())
    record = logging.LogRecord(
        "orders.services", logging.ERROR, __file__, 1, "Failed %s", ("x",), None
    )
    try:
        raise ValueError("boom")
    except ValueError:
        record.exc_info = sys.exc_info()
    token = request_id.set("req-7")
    try:
        handler.filter(record)
    finally:
        request_id.reset(token)
    line = JsonFormatter().format(record)
    assert "\n" not in line
    data = json.loads(line)
    assert data["level"] == "ERROR"
    assert data["logger"] == "orders.services"
    assert data["message"] == "Failed x"
    assert data["request_id"] == "req-7"
    assert "ValueError: boom" in data["exc_info"]
    assert data["time"].endswith("+00:00")


def test_django_log_format_json_makes_every_log_line_json(configured_process):
    printed = configured_process.stderr.strip().splitlines()
    assert [json.loads(line)["message"] for line in printed] == ["hello json"]
    assert json.loads(printed[0])["level"] == "WARNING"
    assert json.loads(printed[0])["logger"] == "core.test"
