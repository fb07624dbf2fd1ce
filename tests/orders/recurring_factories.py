"""Factories for recurring series (issue 4): an order worth repeating and a series made from it
through the service, as a customer would."""

from datetime import timedelta

from django.utils import timezone

from orders.models import OrderStatus, SeriesInterval
from orders.services import recurring
from tests.factories import OrderFactory


def repeatable_order(*, customer, provider, service, area, starts_at, **fields):
    """A completed cleaning by `provider` at `starts_at`, ready to be repeated."""
    return OrderFactory(
        customer=customer,
        provider=provider,
        service_type=service,
        area=area,
        status=OrderStatus.COMPLETED,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        blocked_until=starts_at + timedelta(hours=2, minutes=30),
        completed_at=starts_at + timedelta(hours=2),
        **fields,
    )


def agreement_for(order, interval, *, typed_name=None, language="en"):
    """The customer's signature of the standing agreement exactly as shown."""
    text = recurring.render_agreement(order=order, interval=interval, language=language)
    return recurring.AgreementSignature(
        typed_name=typed_name if typed_name is not None else order.customer.full_name,
        shown_sha256=recurring.text_sha256(text),
        ip_address="203.0.113.9",
        user_agent="pytest",
    )


def start_weekly(order, *, interval=SeriesInterval.WEEKLY, agreement=False, now=None):
    return recurring.start_series(
        order=order,
        actor=order.customer,
        interval=interval,
        agreement=agreement_for(order, interval) if agreement else None,
        now=now or timezone.now(),
    )
