import hashlib
import os
from pathlib import Path

import pytest
from django.utils import translation

from config.celery import app as celery_app
from core.sms import LocmemSmsBackend

from .factories import (
    AreaFactory,
    CustomerFactory,
    OperatorFactory,
    ProviderFactory,
    ServiceTypeFactory,
)


def pytest_configure(config):
    # Unit tests run tasks inline; the worker integration test switches this off.
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """Each checkout tests on a database of its own (test_<name>_<hash of its path>), so two
    copies of the suite on one machine and one PostgreSQL never drop each other's database."""
    from django.conf import settings

    suffix = hashlib.sha256(str(Path(__file__).resolve().parent).encode()).hexdigest()[:8]
    for database in settings.DATABASES.values():
        if database["ENGINE"].endswith("sqlite3"):
            continue  # in memory: one per process already
        test = database.setdefault("TEST", {})
        test["NAME"] = f"{test.get('NAME') or 'test_' + database['NAME']}_{suffix}"


@pytest.fixture(scope="session", autouse=True)
def _database_is_postgresql_in_ci(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        from django.db import connection

        if os.environ.get("CI") and connection.vendor != "postgresql":
            pytest.exit("CI must run the suite on PostgreSQL: set DATABASE_URL.", returncode=3)


@pytest.fixture(autouse=True)
def _english_by_default():
    # A request through the test client leaves its language active in this thread; start
    # every test from the default so translated strings do not depend on test order.
    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _isolated_cache(settings):
    # Each test gets an empty in-memory cache: rate-limit counters never leak between tests
    # or runs (the Redis database is shared with the broker, so it is not flushed).
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "t"}
    }
    from django.core.cache import cache

    from core.kept import forget_everything

    cache.clear()
    # Values kept in this process under versions that lived in the old cache, and any mark of
    # a change left on the connection by the previous test.
    forget_everything()


@pytest.fixture(scope="session")
def _upload_dirs(tmp_path_factory):
    return tmp_path_factory.mktemp("media"), tmp_path_factory.mktemp("private-media")


@pytest.fixture(autouse=True)
def _uploads_outside_the_checkout(settings, _upload_dirs):
    settings.MEDIA_ROOT, settings.PRIVATE_MEDIA_ROOT = _upload_dirs


@pytest.fixture
def broker_down(settings):
    """A context manager: inside it, Celery publishes to a port nobody listens on (tasks are
    not run inline), as when Redis, the broker, is down."""
    from contextlib import contextmanager

    def reset_pools():
        # As Celery does after a fork: the next publish picks a pool for the broker_url now set.
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    @contextmanager
    def closed():
        conf = celery_app.conf
        saved = (conf.task_always_eager, conf.broker_url)
        conf.task_always_eager, conf.broker_url = False, "redis://127.0.0.1:1/0"
        reset_pools()
        try:
            yield
        finally:
            conf.task_always_eager, conf.broker_url = saved
            reset_pools()

    return closed


@pytest.fixture(autouse=True)
def _broker_reachable_again():
    # A test that closed the broker leaves this process's hand-overs paused (core.outbox).
    from core.outbox import resume_publishing

    resume_publishing()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _sms_outbox(settings):
    settings.SMS_BACKEND = "core.sms.LocmemSmsBackend"
    LocmemSmsBackend.outbox.clear()
    return LocmemSmsBackend.outbox


@pytest.fixture
def sms_outbox(_sms_outbox):
    return _sms_outbox


@pytest.fixture
def customer(db):
    return CustomerFactory(full_name="Sara Customer")


@pytest.fixture
def other_customer(db):
    return CustomerFactory(full_name="Other Customer")


@pytest.fixture
def operator(db):
    return OperatorFactory(full_name="Olga Operator")


@pytest.fixture
def area(db):
    return AreaFactory()


@pytest.fixture
def service(db):
    return ServiceTypeFactory()


@pytest.fixture
def provider(db):
    return ProviderFactory(user__full_name="Maryam Provider")


@pytest.fixture
def other_provider(db):
    return ProviderFactory(user__full_name="Elena Provider")


@pytest.fixture
def customer_client(client, customer):
    client.force_login(customer)
    return client
