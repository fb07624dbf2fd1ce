"""Errors reported to Sentry when SENTRY_DSN is set; nothing at all when it is not.

The settings call `start_error_reports()` while they load, so web processes, workers and beat
(which all load them) report alike: unhandled exceptions in views, failed Celery tasks, and log
records at ERROR. No personal data leaves: no cookies, headers with credentials, user ids or
addresses (`send_default_pii=False`), and no local variables of the failing frames, which here
may hold phone numbers, one-time codes or decrypted national IDs.
"""

from __future__ import annotations


def start_error_reports(*, dsn: str, environment: str, release: str) -> bool:
    """Initialise Sentry when `dsn` is set; returns whether it did."""
    if not dsn:
        return False
    # Imported only when reports are on: the SDK costs start-up time every process would pay.
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        include_local_variables=False,
    )
    return True
