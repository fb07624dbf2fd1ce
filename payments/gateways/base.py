"""What a payment gateway does for us, whichever it is (R-PAY-2).

A gateway takes a payment we started (`start`: it answers where to send the customer), tells
us how a payment stands (`confirm` when the customer comes back, `query` when we ask later,
`parse_callback` when it calls us), and refunds. It reports; `payments.services.checkout`
decides, always against our own payment: the amount, the currency and the references must be
ours, or the report is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.core.exceptions import ValidationError


class GatewayError(Exception):
    """The gateway could not be reached or answered something we cannot read: try later."""


class CallbackRefused(ValidationError):
    """A callback or return that is not to be believed (signature, amount, currency or
    reference wrong); the message says which."""


PAID = "paid"
PENDING = "pending"
FAILED = "failed"


@dataclass(frozen=True)
class Redirect:
    """Where the customer goes to pay, and the gateway's id of the payment."""

    url: str
    gateway_reference: str


@dataclass(frozen=True)
class Report:
    """How a payment stands at the gateway. `amount` and `currency` are what the gateway says
    it charged (None when it does not say); `our_reference` is ours as the gateway echoes it."""

    state: str  # PAID, PENDING or FAILED
    gateway_reference: str
    amount: int | None = None
    currency: str | None = None
    our_reference: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RefundResult:
    succeeded: bool
    gateway_reference: str = ""
    message: str = ""


class Gateway(Protocol):
    name: str

    def start(self, payment, *, return_url: str, callback_url: str, description: str) -> Redirect:
        """Open the payment at the gateway for `payment.gateway_amount`."""
        ...

    def reference_from_return(self, params: Mapping[str, str]) -> str:
        """The gateway's id of the payment the customer comes back from."""
        ...

    def confirm(self, payment, params: Mapping[str, str]) -> Report:
        """The customer came back with `params`: ask the gateway (verify) how it stands."""
        ...

    def parse_callback(self, body: bytes, headers: Mapping[str, str]) -> Report:
        """A server-to-server call: check its signature (CallbackRefused if wrong), read it."""
        ...

    def query(self, payment) -> Report:
        """Ask the gateway how `payment` stands (the recovery sweep)."""
        ...

    def refund(self, payment, *, amount: int, reason: str) -> RefundResult: ...
