"""The gateways the platform can take payments through; settings.PAYMENT_GATEWAY names the one
new payments use (the sandbox unless configured)."""

from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string

from .base import FAILED, PAID, PENDING, CallbackRefused, Gateway, GatewayError, Redirect, Report

GATEWAYS = {
    "sandbox": "payments.gateways.sandbox.SandboxGateway",
    "zarinpal": "payments.gateways.zarinpal.ZarinpalGateway",
}


def get_gateway(name: str | None = None) -> Gateway:
    name = name or settings.PAYMENT_GATEWAY
    try:
        path = GATEWAYS[name]
    except KeyError:
        raise GatewayError(f"Unknown payment gateway {name!r}") from None
    return import_string(path)()


__all__ = [
    "FAILED",
    "PAID",
    "PENDING",
    "CallbackRefused",
    "Gateway",
    "GatewayError",
    "Redirect",
    "Report",
    "get_gateway",
]
