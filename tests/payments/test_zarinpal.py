"""The Zarinpal adapter against Zarinpal's documented request and answer bodies (R-PAY-2).

`responses` stands in for Zarinpal: no test touches the network or the database. Answer bodies
are copied from the pages named next to them (see the module doc of payments/gateways/zarinpal.py
for the full list).
"""

import json

import pytest
import requests
import responses

from accounts.models import User
from payments.gateways.base import FAILED, PAID, PENDING, CallbackRefused, GatewayError
from payments.gateways.zarinpal import ZarinpalGateway
from payments.models import Payment

pytestmark = [pytest.mark.requirement("R-PAY-2")]

MERCHANT = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"
# The authority in Zarinpal's own examples (connectToGateway).
AUTHORITY = "A0000000000000000000000000000wwOGYpd"
REQUEST_URL = "https://payment.zarinpal.com/pg/v4/payment/request.json"
VERIFY_URL = "https://payment.zarinpal.com/pg/v4/payment/verify.json"
INQUIRY_URL = "https://payment.zarinpal.com/pg/v4/payment/inquiry.json"
GRAPHQL_URL = "https://next.zarinpal.com/api/v4/graphql/"

# https://www.zarinpal.com/docs/paymentGateway/connectToGateway (request, answer)
REQUEST_OK = {
    "data": {
        "code": 100,
        "message": "Success",
        "authority": AUTHORITY,
        "fee_type": "Merchant",
        "fee": 100,
    },
    "errors": [],
}
# https://www.zarinpal.com/docs/paymentGateway/connectToGateway (verify, answer)
VERIFY_OK = {
    "data": {
        "code": 100,
        "message": "Verified",
        "card_hash": "1EBE3EBEBE35C7EC0F8D6EE4F2F859107A87822CA179BC9528767EA7B5489B69",
        "card_pan": "502229******5995",
        "ref_id": 201,
        "fee_type": "Merchant",
        "fee": 0,
    },
    "errors": [],
}
VERIFY_AGAIN = {"data": {**VERIFY_OK["data"], "code": 101}, "errors": []}


def error_answer(code, message):
    """A refusal: `errors` carries the code and message, `data` is empty (connectToGateway;
    codes and messages from https://www.zarinpal.com/docs/paymentGateway/errorList)."""
    return {"data": [], "errors": {"code": code, "message": message, "validations": []}}


def inquiry_answer(status):
    # https://www.zarinpal.com/docs/paymentGateway/otherMethods/Inquiry (code, message, status)
    return {"data": {"code": 100, "message": "Success", "status": status}, "errors": []}


@pytest.fixture(autouse=True)
def zarinpal_settings(settings):
    settings.ZARINPAL_MERCHANT_ID = MERCHANT
    settings.ZARINPAL_SANDBOX = False
    settings.ZARINPAL_ACCESS_TOKEN = "panel-token"
    settings.ZARINPAL_TERMINAL_ID = "238"
    settings.PAYMENT_GATEWAY_TIMEOUT_SECONDS = 7
    return settings


@pytest.fixture
def zarinpal():
    with responses.RequestsMock() as mock:
        yield mock


def make_payment(**fields):
    values = {
        "reference": "P123",
        "gateway_amount": 15_000_000,  # 150,000 rials
        "currency": "IRR",
        "gateway_reference": AUTHORITY,
        "customer": User(phone="+989121234567"),
    }
    values.update(fields)
    return Payment(**values)


def sent(mock, index=0):
    return json.loads(mock.calls[index].request.body)


def start(payment):
    return ZarinpalGateway().start(
        payment,
        return_url="https://example.test/payments/zarinpal/return",
        callback_url="https://example.test/payments/zarinpal/callback",
        description="Order 42",
    )


def test_start_sends_the_documented_request_and_redirects_to_startpay(zarinpal):
    zarinpal.post(REQUEST_URL, json=REQUEST_OK)

    redirect = start(make_payment(gateway_reference=None))

    assert sent(zarinpal) == {
        "merchant_id": MERCHANT,
        "amount": 150_000,
        "currency": "IRR",
        "callback_url": "https://example.test/payments/zarinpal/return",
        "description": "Order 42",
        "metadata": {"order_id": "P123", "mobile": "09121234567"},
    }
    assert zarinpal.calls[0].request.req_kwargs["timeout"] == 7
    assert redirect.url == f"https://payment.zarinpal.com/pg/StartPay/{AUTHORITY}"
    assert redirect.gateway_reference == AUTHORITY


def test_start_uses_the_sandbox_hosts_when_configured(zarinpal, settings):
    settings.ZARINPAL_SANDBOX = True
    zarinpal.post("https://sandbox.zarinpal.com/pg/v4/payment/request.json", json=REQUEST_OK)

    redirect = start(make_payment(gateway_reference=None))

    assert redirect.url == f"https://sandbox.zarinpal.com/pg/StartPay/{AUTHORITY}"


def test_start_leaves_out_a_mobile_number_from_another_country(zarinpal):
    zarinpal.post(REQUEST_URL, json=REQUEST_OK)

    start(make_payment(customer=User(phone="+79161234567")))

    assert sent(zarinpal)["metadata"] == {"order_id": "P123"}


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (-9, "Validation error"),
        (-10, "Terminal is not valid, please check merchant_id or ip address."),
    ],
)
def test_start_refused_raises_with_zarinpals_code_and_message(zarinpal, code, message):
    zarinpal.post(REQUEST_URL, json=error_answer(code, message), status=400)

    with pytest.raises(GatewayError) as refused:
        start(make_payment(gateway_reference=None))

    assert str(refused.value) == f"Zarinpal refused the payment request: {message} (code {code})"


def test_start_refuses_a_currency_other_than_rials_without_asking(zarinpal):
    with pytest.raises(GatewayError, match="in IRR only, not USD"):
        start(make_payment(currency="USD"))

    assert len(zarinpal.calls) == 0


def test_start_refuses_an_amount_that_is_not_whole_rials_without_asking(zarinpal):
    with pytest.raises(GatewayError, match="15000050 IRR minor units is not a whole number"):
        start(make_payment(gateway_amount=15_000_050))

    assert len(zarinpal.calls) == 0


def test_a_network_timeout_is_a_gateway_error(zarinpal):
    zarinpal.post(REQUEST_URL, body=requests.exceptions.ReadTimeout("read timed out"))

    with pytest.raises(GatewayError, match="could not be reached: read timed out"):
        start(make_payment())


@pytest.mark.parametrize(
    ("status", "body"), [(200, "<html>maintenance</html>"), (502, "Bad Gateway")]
)
def test_an_answer_that_is_not_zarinpals_json_is_a_gateway_error(zarinpal, status, body):
    zarinpal.post(VERIFY_URL, body=body, status=status)

    with pytest.raises(GatewayError):
        ZarinpalGateway().confirm(make_payment(), {"Authority": AUTHORITY, "Status": "OK"})


def test_an_answer_without_a_code_is_a_gateway_error(zarinpal):
    zarinpal.post(REQUEST_URL, json={"data": {"message": "Success"}, "errors": []})

    with pytest.raises(GatewayError, match="unexpected shape"):
        start(make_payment())


def test_the_return_names_the_payment_by_its_authority():
    gateway = ZarinpalGateway()

    assert gateway.reference_from_return({"Authority": AUTHORITY, "Status": "OK"}) == AUTHORITY
    with pytest.raises(CallbackRefused):
        gateway.reference_from_return({"Status": "OK"})


def test_confirm_with_status_nok_is_failed_without_asking(zarinpal):
    report = ZarinpalGateway().confirm(make_payment(), {"Authority": AUTHORITY, "Status": "NOK"})

    assert report.state == FAILED
    assert report.gateway_reference == AUTHORITY
    assert len(zarinpal.calls) == 0


def test_confirm_verifies_our_amount_and_reports_paid(zarinpal):
    zarinpal.post(VERIFY_URL, json=VERIFY_OK)

    report = ZarinpalGateway().confirm(make_payment(), {"Authority": AUTHORITY, "Status": "OK"})

    assert sent(zarinpal) == {"merchant_id": MERCHANT, "amount": 150_000, "authority": AUTHORITY}
    assert report.state == PAID
    assert report.gateway_reference == AUTHORITY
    assert report.amount == 15_000_000
    assert report.currency == "IRR"
    assert dict(report.details) == {
        "ref_id": 201,
        "card_pan": "502229******5995",
        "fee": 0,
        "fee_type": "Merchant",
    }


def test_confirm_of_an_already_verified_payment_is_paid(zarinpal):
    zarinpal.post(VERIFY_URL, json=VERIFY_AGAIN)

    report = ZarinpalGateway().confirm(make_payment(), {"Authority": AUTHORITY, "Status": "OK"})

    assert report.state == PAID
    assert report.details["ref_id"] == 201


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (-51, "Session is not valid, session is not active paid try."),
        (-50, "Session is not valid, amounts values is not the same."),
    ],
)
def test_confirm_with_a_documented_failure_code_is_failed(zarinpal, code, message):
    zarinpal.post(VERIFY_URL, json=error_answer(code, message), status=400)

    report = ZarinpalGateway().confirm(make_payment(), {"Authority": AUTHORITY, "Status": "OK"})

    assert report.state == FAILED
    assert dict(report.details) == {"code": code, "message": message}


def test_confirm_with_a_passing_error_is_a_gateway_error(zarinpal):
    zarinpal.post(
        VERIFY_URL, json=error_answer(-12, "To many attempts, please try again later."), status=429
    )

    with pytest.raises(GatewayError, match=r"code -12"):
        ZarinpalGateway().confirm(make_payment(), {"Authority": AUTHORITY, "Status": "OK"})


@pytest.mark.parametrize("ours", ["A00000000000000000000000000217885159", None])
def test_confirm_refuses_a_return_about_another_authority_without_verifying(zarinpal, ours):
    with pytest.raises(CallbackRefused):
        ZarinpalGateway().confirm(
            make_payment(gateway_reference=ours), {"Authority": AUTHORITY, "Status": "OK"}
        )

    assert len(zarinpal.calls) == 0


def test_zarinpal_has_no_server_to_server_callback():
    with pytest.raises(CallbackRefused, match="no server-to-server calls"):
        ZarinpalGateway().parse_callback(b'{"Authority": "x"}', {})


@pytest.mark.parametrize(
    ("status", "state"), [("IN_BANK", PENDING), ("FAILED", FAILED), ("REVERSED", FAILED)]
)
def test_query_maps_inquiry_statuses_without_verifying(zarinpal, status, state):
    zarinpal.post(INQUIRY_URL, json=inquiry_answer(status))

    report = ZarinpalGateway().query(make_payment())

    assert sent(zarinpal) == {"merchant_id": MERCHANT, "authority": AUTHORITY}
    assert report.state == state
    assert report.gateway_reference == AUTHORITY
    assert len(zarinpal.calls) == 1


@pytest.mark.parametrize(("status", "verified"), [("PAID", VERIFY_OK), ("VERIFIED", VERIFY_AGAIN)])
def test_query_of_a_paid_session_verifies_it(zarinpal, status, verified):
    zarinpal.post(INQUIRY_URL, json=inquiry_answer(status))
    zarinpal.post(VERIFY_URL, json=verified)

    report = ZarinpalGateway().query(make_payment())

    assert sent(zarinpal, 1) == {"merchant_id": MERCHANT, "amount": 150_000, "authority": AUTHORITY}
    assert report.state == PAID
    assert report.amount == 15_000_000
    assert report.details["ref_id"] == 201


def test_query_of_a_paid_session_that_fails_verify_is_failed(zarinpal):
    zarinpal.post(INQUIRY_URL, json=inquiry_answer("PAID"))
    zarinpal.post(
        VERIFY_URL,
        json=error_answer(-50, "Session is not valid, amounts values is not the same."),
        status=400,
    )

    assert ZarinpalGateway().query(make_payment()).state == FAILED


def test_query_with_an_unknown_status_is_a_gateway_error(zarinpal):
    zarinpal.post(INQUIRY_URL, json=inquiry_answer("SOMETHING_NEW"))

    with pytest.raises(GatewayError, match="unknown status"):
        ZarinpalGateway().query(make_payment())


# The Session query and AddRefund mutation as Zarinpal's SDK sends them
# (https://github.com/ZarinPal/zarinpal-php-sdk, src/Endpoint/GraphQL/); the refund's answer
# fields from https://www.zarinpal.com/docs/sdk/php/method/refund and the SDK's
# tests/Graphql/GraphQLRefundTest.php, under `data.resource` as RefundService reads it.
SESSION_FOUND = {"data": {"Session": [{"id": "385404539", "status": "VERIFIED", "amount": 150000}]}}
REFUND_ACCEPTED = {
    "data": {
        "resource": {
            "terminal_id": "238",
            "id": "1234567890",
            "amount": 150000,
            "timeline": {
                "refund_amount": 50000,
                "refund_time": "2024-08-25T15:00:00+03:30",
                "refund_status": "PENDING",
            },
        }
    }
}


def paid_payment():
    return make_payment(gateway_details={"ref_id": 201, "card_pan": "502229******5995"})


def test_refund_finds_the_session_and_asks_zarinpal_to_refund(zarinpal):
    zarinpal.post(GRAPHQL_URL, json=SESSION_FOUND)
    zarinpal.post(GRAPHQL_URL, json=REFUND_ACCEPTED)

    result = ZarinpalGateway().refund(paid_payment(), amount=5_000_000, reason="Order cancelled")

    lookup, refund = sent(zarinpal, 0), sent(zarinpal, 1)
    assert "Session(terminal_id: $terminal_id, reference_id: $reference_id)" in lookup["query"]
    assert lookup["variables"] == {"terminal_id": "238", "reference_id": "201"}
    assert "AddRefund(session_id: $session_id" in refund["query"]
    assert refund["variables"] == {
        "session_id": "385404539",
        "amount": 50_000,
        "description": "P123: Order cancelled",
        "method": "PAYA",
        "reason": "CUSTOMER_REQUEST",
    }
    for call in zarinpal.calls:
        assert call.request.headers["Authorization"] == "Bearer panel-token"
    assert result.succeeded is True
    assert result.gateway_reference == "1234567890"
    assert result.message == "Zarinpal accepted the refund (PENDING)."


def test_refund_refused_by_zarinpal_is_not_succeeded(zarinpal):
    zarinpal.post(GRAPHQL_URL, json=SESSION_FOUND)
    # A GraphQL refusal: the `errors` list of the GraphQL response format.
    zarinpal.post(
        GRAPHQL_URL,
        json={"errors": [{"message": "Refund amount is more than session amount."}], "data": None},
    )

    result = ZarinpalGateway().refund(paid_payment(), amount=5_000_000, reason="Order cancelled")

    assert result.succeeded is False
    assert result.message == "Zarinpal refused: Refund amount is more than session amount."


@pytest.mark.parametrize("found", [0, 2])
def test_refund_is_not_sent_unless_exactly_one_session_is_found(zarinpal, found):
    sessions = [
        {"id": str(385404539 + n), "status": "VERIFIED", "amount": 150000} for n in range(found)
    ]
    zarinpal.post(GRAPHQL_URL, json={"data": {"Session": sessions}})

    result = ZarinpalGateway().refund(paid_payment(), amount=5_000_000, reason="Order cancelled")

    assert result.succeeded is False
    assert f"{found} sessions with ref_id 201" in result.message
    assert len(zarinpal.calls) == 1


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("ZARINPAL_ACCESS_TOKEN", "", "No Zarinpal access token is set"),
        ("ZARINPAL_TERMINAL_ID", "", "No Zarinpal terminal id is set"),
        ("ZARINPAL_SANDBOX", True, "sandbox has no refund API"),
    ],
)
def test_refund_without_what_it_needs_is_not_sent(zarinpal, settings, setting, value, message):
    setattr(settings, setting, value)

    result = ZarinpalGateway().refund(paid_payment(), amount=5_000_000, reason="Order cancelled")

    assert result.succeeded is False
    assert message in result.message
    assert len(zarinpal.calls) == 0


def test_refund_below_zarinpals_minimum_is_not_sent(zarinpal):
    result = ZarinpalGateway().refund(paid_payment(), amount=1_999_900, reason="Order cancelled")

    assert result.succeeded is False
    assert "at least 20000 rials" in result.message
    assert len(zarinpal.calls) == 0


@pytest.mark.parametrize("amount", [15_000_100, 0])
def test_refund_of_more_than_went_through_zarinpal_is_refused(zarinpal, amount):
    with pytest.raises(GatewayError, match="Cannot refund"):
        ZarinpalGateway().refund(paid_payment(), amount=amount, reason="Order cancelled")

    assert len(zarinpal.calls) == 0
