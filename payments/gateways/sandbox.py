"""The sandbox gateway that ships with the platform (R-PAY-2): a gateway of our own, for demos,
tests and a company not yet signed with a bank.

It behaves as a hosted gateway does: `start` opens a charge and sends the customer to its card
page (payments/views/sandbox.py, on our site); the card page redirects back to our return
address and makes a server-to-server callback signed with HMAC-SHA256 over the body
(SANDBOX_GATEWAY_SECRET); `query` and `refund` answer from its own book (`SandboxCharge`).
Test cards: 4242 4242 4242 4242 pays, 4000 0000 0000 0002 is declined, 4000 0000 0000 0119
pays but the callback and the redirect are lost (the recovery sweep must find the payment).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from ..models import SandboxCharge
from .base import (
    FAILED,
    PAID,
    PENDING,
    CallbackRefused,
    GatewayError,
    Redirect,
    RefundResult,
    Report,
)

SIGNATURE_HEADER = "X-Sandbox-Signature"

PAYING_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"
LOST_CALLBACK_CARD = "4000000000000119"

_STATES = {
    SandboxCharge.State.OPEN: PENDING,
    SandboxCharge.State.PAID: PAID,
    SandboxCharge.State.REFUNDED: PAID,  # paid, then refunded (refunds are their own records)
    SandboxCharge.State.DECLINED: FAILED,
}


def sign(body: bytes) -> str:
    digest = hmac.new(settings.SANDBOX_GATEWAY_SECRET.encode(), body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def callback_body(charge: SandboxCharge) -> bytes:
    return json.dumps(
        {
            "charge_id": charge.charge_id,
            "merchant_reference": charge.merchant_reference,
            "amount": charge.amount,
            "currency": charge.currency,
            "state": charge.state,
            "card_last4": charge.card_last4,
        },
        sort_keys=True,
    ).encode()


def luhn_valid(number: str) -> bool:
    digits = [int(d) for d in number]
    odd = digits[-1::-2]
    even = [sum(divmod(2 * d, 10)) for d in digits[-2::-2]]
    return len(digits) >= 12 and (sum(odd) + sum(even)) % 10 == 0


def _report(charge: SandboxCharge) -> Report:
    return Report(
        state=_STATES[SandboxCharge.State(charge.state)],
        gateway_reference=charge.charge_id,
        amount=charge.amount,
        currency=charge.currency,
        our_reference=charge.merchant_reference,
        details={"card": f"•••• {charge.card_last4}"} if charge.card_last4 else {},
    )


class SandboxGateway:
    name = "sandbox"

    def start(self, payment, *, return_url: str, callback_url: str, description: str) -> Redirect:
        charge = SandboxCharge.objects.create(
            charge_id="sbx_" + secrets.token_urlsafe(12),
            merchant_reference=payment.reference,
            amount=payment.gateway_amount,
            currency=payment.currency,
            return_url=return_url,
            callback_url=callback_url,
        )
        url = reverse("payments:sandbox_card", args=[charge.charge_id])
        return Redirect(url=url, gateway_reference=charge.charge_id)

    def reference_from_return(self, params: Mapping[str, str]) -> str:
        return params.get("charge", "")

    def confirm(self, payment, params: Mapping[str, str]) -> Report:
        # The redirect's own words are not trusted: ask the sandbox's book, as a real
        # integration calls the gateway's verify.
        return self.query(payment)

    def parse_callback(self, body: bytes, headers: Mapping[str, str]) -> Report:
        given = headers.get(SIGNATURE_HEADER, "")
        if not given or not hmac.compare_digest(given, sign(body)):
            raise CallbackRefused(_("The callback's signature is wrong."), code="signature")
        try:
            data = json.loads(body)
            return Report(
                state=_STATES[SandboxCharge.State(data["state"])],
                gateway_reference=str(data["charge_id"]),
                amount=int(data["amount"]),
                currency=str(data["currency"]),
                our_reference=str(data["merchant_reference"]),
                details={"card": f"•••• {data['card_last4']}"} if data.get("card_last4") else {},
            )
        except (ValueError, KeyError, TypeError) as error:
            raise CallbackRefused(_("The callback cannot be read."), code="malformed") from error

    def query(self, payment) -> Report:
        charge = SandboxCharge.objects.filter(charge_id=payment.gateway_reference).first()
        if charge is None:
            raise GatewayError(f"The sandbox has no charge {payment.gateway_reference}")
        return _report(charge)

    def refund(self, payment, *, amount: int, reason: str) -> RefundResult:
        with transaction.atomic():
            charge = (
                SandboxCharge.objects.select_for_update()
                .filter(charge_id=payment.gateway_reference)
                .first()
            )
            if charge is None or charge.state not in (
                SandboxCharge.State.PAID,
                SandboxCharge.State.REFUNDED,
            ):
                return RefundResult(False, message="The charge was not paid.")
            if charge.refunded_amount + amount > charge.amount:
                return RefundResult(False, message="The refund is above what was charged.")
            charge.refunded_amount += amount
            charge.state = SandboxCharge.State.REFUNDED
            charge.save(update_fields=["refunded_amount", "state"])
        return RefundResult(True, gateway_reference=f"{charge.charge_id}-r{charge.refunded_amount}")

    # The card page's side (payments/views/sandbox.py).

    @staticmethod
    def pay(charge: SandboxCharge, card_number: str) -> SandboxCharge:
        """Charge the card: paid, or declined for the declining test card."""
        with transaction.atomic():
            charge = SandboxCharge.objects.select_for_update().get(pk=charge.pk)
            if charge.state != SandboxCharge.State.OPEN:
                return charge
            declined = card_number == DECLINED_CARD
            charge.state = SandboxCharge.State.DECLINED if declined else SandboxCharge.State.PAID
            charge.card_last4 = card_number[-4:]
            charge.save(update_fields=["state", "card_last4"])
        return charge
