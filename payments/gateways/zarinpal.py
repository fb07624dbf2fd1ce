"""Zarinpal, Iran's common card gateway, through its REST API v4 (R-PAY-2).

The customer pays on Zarinpal's page (StartPay) and is sent back to our return address with
`Authority` and `Status`; nothing else tells us, since Zarinpal makes no server-to-server call.
A return is only a hint: the payment counts once `verify` (with our own amount) says so, and
Zarinpal gives back on its own any payment left unverified. The recovery sweep asks `inquiry`.
Refunds go through Zarinpal's GraphQL API with an access token from its panel.

Amounts at Zarinpal are whole rials; ours are IRR minor units (ledger/money.py).

Documentation relied on (request and answer fields, codes, hosts):
- https://www.zarinpal.com/docs/paymentGateway/connectToGateway (request, StartPay, verify)
- https://www.zarinpal.com/docs/paymentGateway/moreFeatures/card-pan (verify's answer fields)
- https://www.zarinpal.com/docs/paymentGateway/otherMethods/Inquiry (inquiry and its statuses)
- https://www.zarinpal.com/docs/paymentGateway/errorList (error codes)
- https://www.zarinpal.com/docs/apiDocs/query/refund and
  https://www.zarinpal.com/docs/sdk/php/method/refund (AddRefund: session_id, rials, method,
  reason; at least 20,000 rials; the answer's fields)
- Zarinpal's own SDK, https://github.com/ZarinPal/zarinpal-php-sdk: src/Options.php (hosts:
  payment.zarinpal.com, sandbox.zarinpal.com, next.zarinpal.com/api/v4/graphql/),
  src/Endpoint/PaymentGateway/PaymentGateway.php (paths), src/Endpoint/GraphQL/RefundService.php
  (Bearer token), src/Endpoint/GraphQL/RequestTypes/RefundRequest.php (the AddRefund mutation)
  and TransactionListRequest.php (the Session query, to find a payment's session id).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import requests
from django.conf import settings
from django.utils.translation import gettext as _

from ledger.money import exponent

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

if TYPE_CHECKING:
    from payments.models import Payment

CURRENCY = "IRR"
PRODUCTION_HOST = "https://payment.zarinpal.com"
SANDBOX_HOST = "https://sandbox.zarinpal.com"
GRAPHQL_URL = "https://next.zarinpal.com/api/v4/graphql/"

SUCCESS = 100
ALREADY_VERIFIED = 101
# Verify codes saying the customer did not pay us this amount (errorList): -50 another amount,
# -51 not paid, -53 another merchant's session, -54 invalid authority, -55 no such session.
# Any other code (validation, terminal, too many attempts, Zarinpal's fault) may pass: try later.
NOT_PAID_CODES = {-50, -51, -53, -54, -55}
MINIMUM_REFUND_RIALS = 20_000

# The refund mutation takes Zarinpal's session id, which no REST answer carries; the Session
# query finds it from verify's ref_id (its "reference_id") within our terminal.
SESSION_QUERY = """
query Sessions($terminal_id: ID!, $reference_id: String) {
  Session(terminal_id: $terminal_id, reference_id: $reference_id) { id, status, amount }
}"""
ADD_REFUND_MUTATION = """
mutation AddRefund($session_id: ID!, $amount: BigInteger!, $description: String,
                   $method: InstantPayoutActionTypeEnum, $reason: RefundReasonEnum) {
  resource: AddRefund(session_id: $session_id, amount: $amount, description: $description,
                      method: $method, reason: $reason) {
    terminal_id, id, amount, timeline { refund_amount, refund_time, refund_status }
  }
}"""


class _NotRefundable(Exception):
    """Zarinpal will not (or we cannot ask it to) refund this payment: a final answer."""


class ZarinpalGateway:
    name = "zarinpal"

    def start(
        self, payment: Payment, *, return_url: str, callback_url: str, description: str
    ) -> Redirect:
        # Zarinpal's "callback_url" is where it sends the customer back: our return address.
        # It never calls a server itself, so our callback_url has no use here.
        body = {
            "merchant_id": _merchant_id(),
            "amount": rials(payment.gateway_amount, payment.currency),
            "currency": CURRENCY,
            "callback_url": return_url,
            "description": description,
            "metadata": _metadata(payment),
        }
        code, answer = _read_code(_post(_payment_url("request"), body))
        if code != SUCCESS:
            raise GatewayError(f"Zarinpal refused the payment request: {_describe(code, answer)}")
        authority = answer.get("authority")
        if not isinstance(authority, str) or not authority:
            raise GatewayError(f"Zarinpal opened a payment without an authority: {answer!r}")
        return Redirect(url=f"{_host()}/pg/StartPay/{authority}", gateway_reference=authority)

    def reference_from_return(self, params: Mapping[str, str]) -> str:
        authority = params.get("Authority")
        if not authority:
            raise CallbackRefused(_("Zarinpal's return names no payment."), code="reference")
        return authority

    def confirm(self, payment: Payment, params: Mapping[str, str]) -> Report:
        authority = self.reference_from_return(params)
        # Refused rather than reported FAILED: the return is about another payment, and
        # verifying someone else's authority with our amount could settle theirs.
        if not payment.gateway_reference or authority != payment.gateway_reference:
            raise CallbackRefused(
                _("Zarinpal's return is about another payment."), code="reference"
            )
        if params.get("Status") != "OK":
            return Report(
                state=FAILED, gateway_reference=authority, details={"status": params.get("Status")}
            )
        return self._verify(payment, authority)

    def parse_callback(self, body: bytes, headers: Mapping[str, str]) -> Report:
        raise CallbackRefused(
            _("Zarinpal makes no server-to-server calls; its payments are verified instead."),
            code="unsupported",
        )

    def query(self, payment: Payment) -> Report:
        authority = payment.gateway_reference
        if not authority:
            raise GatewayError(f"Payment {payment.reference} was never opened at Zarinpal")
        body = {"merchant_id": _merchant_id(), "authority": authority}
        code, answer = _read_code(_post(_payment_url("inquiry"), body))
        if code != SUCCESS:
            raise GatewayError(f"Zarinpal's inquiry failed: {_describe(code, answer)}")
        status = answer.get("status")
        # Inquiry must not stand in for verify (its documentation says so): a paid session is
        # verified now (101 if it already was), which also checks our amount and gives ref_id.
        if status in ("VERIFIED", "PAID"):
            return self._verify(payment, authority)
        if status == "IN_BANK":
            return Report(state=PENDING, gateway_reference=authority)
        if status in ("FAILED", "REVERSED"):
            return Report(state=FAILED, gateway_reference=authority, details={"status": status})
        raise GatewayError(f"Zarinpal's inquiry gave an unknown status: {status!r}")

    def refund(self, payment: Payment, *, amount: int, reason: str) -> RefundResult:
        if not 0 < amount <= payment.gateway_amount:
            raise GatewayError(
                f"Cannot refund {amount} of payment {payment.reference}: "
                f"{payment.gateway_amount} went through Zarinpal"
            )
        amount_rials = rials(amount, payment.currency)
        token = settings.ZARINPAL_ACCESS_TOKEN
        try:
            if not token:
                raise _NotRefundable("No Zarinpal access token is set (ZARINPAL_ACCESS_TOKEN).")
            if settings.ZARINPAL_SANDBOX:
                raise _NotRefundable("Zarinpal's sandbox has no refund API.")
            if amount_rials < MINIMUM_REFUND_RIALS:
                raise _NotRefundable(f"Zarinpal refunds at least {MINIMUM_REFUND_RIALS} rials.")
            variables = {
                "session_id": _session_id(payment, token),
                "amount": amount_rials,
                "description": f"{payment.reference}: {reason}",
                # PAYA (the next interbank cycle) is Zarinpal's default; CARD is instant.
                "method": "PAYA",
                "reason": "CUSTOMER_REQUEST",
            }
            data = _graphql(ADD_REFUND_MUTATION, variables, token)
        except _NotRefundable as refusal:
            return RefundResult(succeeded=False, message=str(refusal))
        resource = data.get("resource")
        if not isinstance(resource, dict):
            raise GatewayError(f"Zarinpal's refund answer has no refund: {data!r}")
        # Accepted: Zarinpal pays it out later (refund_status says how far it is).
        timeline = resource.get("timeline")
        status = timeline.get("refund_status") if isinstance(timeline, dict) else None
        return RefundResult(
            succeeded=True,
            gateway_reference=str(resource.get("id", "")),
            message=f"Zarinpal accepted the refund ({status or 'no status given'}).",
        )

    def _verify(self, payment: Payment, authority: str) -> Report:
        body = {
            "merchant_id": _merchant_id(),
            "amount": rials(payment.gateway_amount, payment.currency),
            "authority": authority,
        }
        code, answer = _read_code(_post(_payment_url("verify"), body))
        if code in (SUCCESS, ALREADY_VERIFIED):
            if answer.get("ref_id") is None:
                raise GatewayError(f"Zarinpal verified without a ref_id: {answer!r}")
            # Zarinpal verifies against the amount we send (another amount is -50), so what it
            # charged is ours. The fee is in rials, as Zarinpal gives it.
            return Report(
                state=PAID,
                gateway_reference=authority,
                amount=payment.gateway_amount,
                currency=CURRENCY,
                details={
                    "ref_id": answer["ref_id"],
                    "card_pan": answer.get("card_pan"),
                    "fee": answer.get("fee"),
                    "fee_type": answer.get("fee_type"),
                },
            )
        if code in NOT_PAID_CODES:
            return Report(
                state=FAILED,
                gateway_reference=authority,
                details={"code": code, "message": answer.get("message")},
            )
        raise GatewayError(f"Zarinpal could not verify the payment: {_describe(code, answer)}")


def rials(minor: int, currency: str) -> int:
    """Our amount in minor units as Zarinpal's whole rials; anything else is refused."""
    if currency != CURRENCY:
        raise GatewayError(f"Zarinpal takes payments in {CURRENCY} only, not {currency}.")
    per_rial = 10 ** exponent(CURRENCY)
    if minor % per_rial:
        raise GatewayError(f"{minor} {CURRENCY} minor units is not a whole number of rials.")
    return minor // per_rial


def _host() -> str:
    return SANDBOX_HOST if settings.ZARINPAL_SANDBOX else PRODUCTION_HOST


def _payment_url(method: str) -> str:
    return f"{_host()}/pg/v4/payment/{method}.json"


def _merchant_id() -> str:
    if not settings.ZARINPAL_MERCHANT_ID:
        raise GatewayError("ZARINPAL_MERCHANT_ID is not set.")
    return settings.ZARINPAL_MERCHANT_ID


def _metadata(payment: Payment) -> dict[str, str]:
    """Our reference as Zarinpal's order_id, and the customer's mobile in the Iranian form
    Zarinpal shows ("09121234567"; it may offer the customer's saved cards). Another country's
    number is left out rather than sent in a form Zarinpal does not document."""
    metadata = {"order_id": payment.reference}
    phone = getattr(payment.customer, "phone", None)
    if phone is not None and phone.country_code == 98:
        metadata["mobile"] = f"0{phone.national_number}"
    return metadata


def _post(url: str, body: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> dict:
    """POST JSON and read the JSON answer. Zarinpal answers refusals with 4xx and a JSON body,
    which the caller reads; a network error, a 5xx or anything not a JSON object is ours to
    retry."""
    try:
        response = requests.post(
            url,
            json=body,
            headers={"Accept": "application/json", **(headers or {})},
            timeout=settings.PAYMENT_GATEWAY_TIMEOUT_SECONDS,
        )
    except requests.RequestException as error:
        raise GatewayError(f"Zarinpal could not be reached: {error}") from error
    if response.status_code >= 500:
        raise GatewayError(f"Zarinpal answered HTTP {response.status_code}.")
    try:
        answer = response.json()
    except ValueError as error:
        raise GatewayError(
            f"Zarinpal answered HTTP {response.status_code} with something not JSON."
        ) from error
    if not isinstance(answer, dict):
        raise GatewayError(f"Zarinpal answered an unexpected shape: {answer!r}")
    return answer


def _read_code(answer: Mapping[str, Any]) -> tuple[int, Mapping[str, Any]]:
    """Zarinpal's code and the part of the answer that carries it: `data` when it worked,
    `errors` (an object, in some answers a list of them) when it did not."""
    data, errors = answer.get("data"), answer.get("errors")
    if isinstance(errors, list) and errors:
        errors = errors[0]
    for part in (data, errors):
        if isinstance(part, dict) and "code" in part:
            try:
                return int(part["code"]), part
            except (TypeError, ValueError):
                break
    raise GatewayError(f"Zarinpal answered an unexpected shape: {answer!r}")


def _describe(code: int, part: Mapping[str, Any]) -> str:
    return f"{part.get('message') or 'no message'} (code {code})"


def _graphql(query: str, variables: Mapping[str, Any], token: str) -> dict:
    """Run a query on Zarinpal's GraphQL API. Errors in the answer (GraphQL's `errors` list)
    are Zarinpal's refusal, not a failure to retry."""
    answer = _post(
        GRAPHQL_URL,
        {"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    errors = answer.get("errors")
    if errors:
        messages = [e.get("message", "") if isinstance(e, dict) else str(e) for e in errors]
        raise _NotRefundable("Zarinpal refused: " + "; ".join(messages))
    data = answer.get("data")
    if not isinstance(data, dict):
        raise GatewayError(f"Zarinpal's GraphQL answer has no data: {answer!r}")
    return data


def _session_id(payment: Payment, token: str) -> str:
    """Zarinpal's session id of a verified payment, found by its ref_id in our terminal. Only
    an exact single match is used: refunding the wrong session would pay someone else."""
    terminal_id = settings.ZARINPAL_TERMINAL_ID
    ref_id = (payment.gateway_details or {}).get("ref_id")
    if not terminal_id:
        raise _NotRefundable("No Zarinpal terminal id is set (ZARINPAL_TERMINAL_ID).")
    if ref_id is None:
        raise _NotRefundable(f"Payment {payment.reference} has no Zarinpal ref_id.")
    variables = {"terminal_id": str(terminal_id), "reference_id": str(ref_id)}
    sessions = _graphql(SESSION_QUERY, variables, token).get("Session")
    if not isinstance(sessions, list):
        raise GatewayError(f"Zarinpal's Session answer is not a list: {sessions!r}")
    if len(sessions) != 1 or not isinstance(sessions[0], dict) or not sessions[0].get("id"):
        raise _NotRefundable(f"Zarinpal finds {len(sessions)} sessions with ref_id {ref_id}.")
    return str(sessions[0]["id"])
