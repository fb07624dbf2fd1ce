"""Electronic contracts (R-ORD-4, R-QC-6): generated once, signed by both, frozen, verifiable."""

import hashlib
import io
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from orders.admin.contracts import ContractAdmin, ContractTemplateAdmin
from orders.models import (
    Contract,
    ContractParty,
    ContractSignature,
    ContractTemplate,
    OrderStatus,
)
from orders.money import format_money
from orders.services import common, contracts, lifecycle
from tests.factories import OrderFactory, local_datetime

from .contract_factories import sign_as, sign_both
from .execution_helpers import check_in

pytestmark = pytest.mark.django_db

IP = "198.51.100.4"
BROWSER = "Mozilla/5.0 (Android 14; Mobile)"


@pytest.fixture
def offered(customer, provider):
    return OrderFactory(
        customer=customer,
        status=OrderStatus.OFFERED,
        address="7 Enghelab Square, unit 3",
        notes="Use Golrang detergent only",
        price=Decimal("3700000"),
        starts_at=local_datetime(2, 10),
        ends_at=local_datetime(2, 12, 30),
    )


@pytest.fixture
def confirmed(offered, provider):
    lifecycle.confirm_order(order=offered, provider=provider, actor=provider.user)
    offered.refresh_from_db()
    return offered


def sign_page(client, order):
    return client.get(reverse("orders:contract", args=[order.pk]))


@pytest.mark.requirement("R-ORD-4", "R-QC-6")
def test_confirming_generates_the_contract_once_with_the_orders_data(
    confirmed, customer, provider, settings
):
    contract = Contract.objects.get(order=confirmed)
    assert contract.language == "en"
    assert contract.template.version == 1
    text = contract.text
    assert text.startswith(f"Service contract for order No. {confirmed.pk}\n\n")
    assert "1.1. The customer: Sara Customer" in text
    assert "1.2. The service provider: Maryam Provider" in text
    assert "2.1. Service ordered: Standard home cleaning." in text
    assert "2.2. Options and personal requests of the Customer: Use Golrang detergent only." in text
    day = local_datetime(2, 10).date().isoformat()
    assert f"2.3. Date and time: {day}, from 10:00 to 12:30" in text
    assert "2.4. Address: 7 Enghelab Square, unit 3 (North district)." in text
    assert "2.5. Home area: 80 m²." in text
    assert "The price of the service is 3,700,000 IRR." in text
    assert f"up to {settings.FREE_CANCELLATION_HOURS} hours before" in text
    assert f"a cancellation fee of {settings.LATE_CANCELLATION_FEE_PERCENT}% of the price" in text
    assert f"within {settings.GUARANTEE_CLAIM_DAYS} days after the job is completed" in text
    assert (
        "Work arranged privately with the Provider, outside the Platform, carries no guarantee"
        in (text)
    )
    assert "Leaving personal contacts ends the Provider's cooperation with the Platform" in text
    assert contract.text_sha256 == hashlib.sha256(text.encode("utf-8")).hexdigest()
    # Idempotent: an order keeps one contract.
    assert contracts.generate_contract(order=confirmed) == contract
    assert Contract.objects.filter(order=confirmed).count() == 1


@pytest.mark.requirement("R-ORD-4")
@pytest.mark.parametrize(
    ("language", "phrase"),
    [
        ("fa", "قرارداد ارائهٔ خدمت برای سفارش شمارهٔ"),
        ("ru", "Договор оказания услуг по заказу №"),
        ("zh-hans", "号订单服务合同"),
    ],
)
def test_the_contract_is_in_the_customers_language(offered, provider, language, phrase):
    offered.customer.preferred_language = language
    offered.customer.save()
    lifecycle.confirm_order(order=offered, provider=provider, actor=provider.user)
    contract = Contract.objects.get(order=offered)
    assert contract.language == language
    assert contract.template.language == language
    assert phrase in contract.text.splitlines()[0]
    # The price in the customer's language: Persian digits, 3 700 000 риал, 3,700,000 伊朗里亚尔.
    assert format_money(Decimal("3700000"), "IRR", language) in contract.text


@pytest.mark.requirement("R-ORD-4")
def test_a_new_template_version_is_used_for_later_contracts(confirmed, provider):
    ContractTemplate.objects.create(
        version=2, language="en", title="Contract v2 for {{ order.pk }}", body="Price {{ price }}"
    )
    later = OrderFactory(status=OrderStatus.OFFERED, starts_at=local_datetime(3, 10))
    lifecycle.confirm_order(order=later, provider=provider, actor=provider.user)
    assert later.contract.template.version == 2
    assert later.contract.text == f"Contract v2 for {later.pk}\n\nPrice 3,700,000\n"
    assert confirmed.contract.template.version == 1


@pytest.mark.requirement("R-ORD-4")
def test_both_parties_are_told_the_contract_is_ready(
    offered, customer, provider, sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.confirm_order(order=offered, provider=provider, actor=provider.user)
    assert sms_outbox == [
        {
            "to": str(customer.phone),
            "text": f"The contract for order #{offered.pk} is ready. "
            "Read and sign it on the order page.",
        },
        {
            "to": str(provider.user.phone),
            "text": f"The contract for job #{offered.pk} is ready. "
            "Read and sign it under My jobs before you start.",
        },
    ]


@pytest.mark.requirement("R-ORD-4")
def test_each_party_signs_on_the_contract_page_with_ip_and_browser(
    client, confirmed, customer, provider
):
    contract = confirmed.contract
    for user, party in ((customer, "customer"), (provider.user, "provider")):
        client.force_login(user)
        page = sign_page(client, confirmed)
        assert page.status_code == 200
        assert contract.text.splitlines()[0] in page.content.decode()
        response = client.post(
            reverse("orders:contract", args=[confirmed.pk]),
            {
                "typed_name": f"  {user.full_name.upper()} ",
                "agree": "on",
                "text_sha256": contract.text_sha256,
            },
            REMOTE_ADDR=IP,
            HTTP_USER_AGENT=BROWSER,
        )
        assert response.status_code == 302
        signature = ContractSignature.objects.get(contract=contract, party=party)
        assert signature.signer == user
        assert signature.typed_name == user.full_name.upper()
        assert signature.ip_address == IP
        assert signature.user_agent == BROWSER
        assert signature.text_sha256 == contract.text_sha256
        assert signature.signed_at is not None
    assert contracts.is_fully_signed(contract)


def _refused(call):
    with pytest.raises(contracts.ContractError):
        call()
    assert ContractSignature.objects.count() == 0


@pytest.mark.requirement("R-ORD-4")
def test_a_wrong_name_another_user_or_a_wrong_party_is_refused(
    confirmed, customer, other_customer, provider, other_provider
):
    contract = confirmed.contract

    def sign(party, user, name=None):
        return lambda: contracts.sign_contract(
            contract=contract,
            party=party,
            user=user,
            typed_name=name or user.full_name,
            ip_address=IP,
            user_agent=BROWSER,
        )

    _refused(sign("customer", customer, name="Sara Someone"))
    _refused(sign("customer", other_customer))
    _refused(sign("provider", other_provider.user))
    _refused(sign("provider", customer))  # the customer cannot sign for the provider
    _refused(sign("customer", provider.user))
    _refused(sign("witness", customer))


@pytest.mark.requirement("R-ORD-4")
def test_others_get_404_on_the_contract_pages(client, confirmed, other_customer, other_provider):
    for user in (other_customer, other_provider.user):
        client.force_login(user)
        assert sign_page(client, confirmed).status_code == 404
        response = client.post(
            reverse("orders:contract", args=[confirmed.pk]),
            {"typed_name": user.full_name, "agree": "on", "text_sha256": "x"},
        )
        assert response.status_code == 404
        pdf = client.get(reverse("orders:contract_pdf", args=[confirmed.pk]))
        assert pdf.status_code == 404
    assert ContractSignature.objects.count() == 0


@pytest.mark.requirement("R-ORD-4")
def test_a_second_signature_by_the_same_party_is_refused(confirmed, customer):
    first = sign_as(confirmed, ContractParty.CUSTOMER)
    with pytest.raises(contracts.ContractError, match="already signed"):
        sign_as(confirmed, ContractParty.CUSTOMER)
    assert list(ContractSignature.objects.all()) == [first]


@pytest.mark.requirement("R-ORD-4")
def test_a_cancelled_orders_contract_cannot_be_signed(confirmed, customer):
    lifecycle.cancel_order(order=confirmed, actor=customer, reason="Plans changed")
    _refused(lambda: sign_as(confirmed, ContractParty.CUSTOMER))
    _refused(lambda: sign_as(confirmed, ContractParty.PROVIDER))


@pytest.mark.requirement("R-ORD-4")
def test_a_text_changed_since_it_was_shown_is_not_signed(confirmed, customer):
    _refused(
        lambda: contracts.sign_contract(
            contract=confirmed.contract,
            party="customer",
            user=customer,
            typed_name=customer.full_name,
            ip_address=IP,
            user_agent=BROWSER,
            shown_sha256="0" * 64,
        )
    )


@pytest.mark.requirement("R-ORD-4", "R-ORD-6")
def test_the_job_starts_only_after_both_signatures(confirmed, provider):
    with pytest.raises(common.OrderError, match="both signed the contract"):
        lifecycle.start_job(order=confirmed, provider=provider)
    sign_as(confirmed, ContractParty.PROVIDER)
    with pytest.raises(common.OrderError, match="both signed the contract"):
        lifecycle.start_job(order=confirmed, provider=provider)
    confirmed.refresh_from_db()
    assert confirmed.status == OrderStatus.CONFIRMED
    assert confirmed.events.filter(to_status=OrderStatus.IN_PROGRESS).count() == 0
    sign_as(confirmed, ContractParty.CUSTOMER)
    check_in(confirmed)  # R-ORD-6: the arrival check-in comes next, then the start
    lifecycle.start_job(order=confirmed, provider=provider)
    confirmed.refresh_from_db()
    assert confirmed.status == OrderStatus.IN_PROGRESS


@pytest.mark.requirement("R-ORD-4", "R-ORD-6")
def test_the_dashboard_asks_the_provider_to_sign_before_starting(client, confirmed, provider):
    client.force_login(provider.user)
    url = reverse("matching:dashboard")
    page = client.get(url).content.decode()
    assert "Sign the contract" in page
    assert "On arrival: check in and start" not in page
    sign_as(confirmed, ContractParty.PROVIDER)
    page = client.get(url).content.decode()
    assert "Waiting for the customer to sign" in page
    assert "On arrival: check in and start" not in page
    sign_as(confirmed, ContractParty.CUSTOMER)
    page = client.get(url).content.decode()
    assert "On arrival: check in and start" in page
    assert "Sign the contract" not in page


@pytest.mark.requirement("R-ORD-4")
def test_the_order_page_shows_the_contract_status_and_link(customer_client, confirmed):
    page = customer_client.get(reverse("orders:detail", args=[confirmed.pk])).content.decode()
    assert "Read and sign the contract" in page
    assert reverse("orders:contract", args=[confirmed.pk]) in page
    sign_as(confirmed, ContractParty.CUSTOMER)
    page = customer_client.get(reverse("orders:detail", args=[confirmed.pk])).content.decode()
    assert "You have signed. Waiting for the provider to sign." in page


@pytest.mark.requirement("R-ORD-4")
def test_contracts_and_signatures_cannot_be_changed(confirmed, rf, operator):
    contract = confirmed.contract
    signature = sign_as(confirmed, ContractParty.CUSTOMER)
    contract.text = "Something else"
    with pytest.raises(ValueError, match="cannot be changed"):
        contract.save()
    signature.typed_name = "Somebody"
    with pytest.raises(ValueError, match="cannot be changed"):
        signature.save()
    contract.refresh_from_db()
    signature.refresh_from_db()
    assert contract.text_sha256 == hashlib.sha256(contract.text.encode()).hexdigest()
    assert signature.typed_name == "Sara Customer"

    from django.contrib.admin.sites import site

    request = rf.get("/")
    request.user = operator
    admin = ContractAdmin(Contract, site)
    assert not admin.has_change_permission(request, contract)
    assert not admin.has_delete_permission(request, contract)
    assert not admin.has_add_permission(request)
    used = ContractTemplateAdmin(ContractTemplate, site)
    assert not used.has_change_permission(request, contract.template)
    assert not used.has_delete_permission(request, contract.template)
    unused = ContractTemplate.objects.create(version=2, language="en", title="T", body="B")
    assert used.has_change_permission(request, unused)


def test_the_admin_shows_the_contract_read_only(client, operator, confirmed):
    sign_both(confirmed)
    client.force_login(operator)
    page = client.get(reverse("admin:orders_contract_change", args=[confirmed.contract.pk]))
    assert page.status_code == 200
    content = page.content.decode()
    assert reverse("contract_verify", args=[confirmed.contract.public_id]) in content
    assert 'name="text"' not in content  # shown, not editable
    assert "203.0.113.7" in content


@pytest.mark.requirement("R-ORD-4")
def test_the_pdf_is_for_the_parties_and_staff_and_holds_the_order_number(
    client, confirmed, customer, provider, operator
):
    from pypdf import PdfReader

    url = reverse("orders:contract_pdf", args=[confirmed.pk])
    for user in (customer, provider.user, operator):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert f"Service contract for order No. {confirmed.pk}" in text
    assert confirmed.contract.text_sha256 in text.replace("\n", "")
    client.logout()
    assert client.get(url).status_code == 302  # to the login page


@pytest.mark.requirement("R-ORD-4", "R-I18N-1")
def test_a_persian_contract_renders_as_a_pdf(client, offered, provider, customer):
    customer.preferred_language = "fa"
    customer.save()
    lifecycle.confirm_order(order=offered, provider=provider, actor=provider.user)
    client.force_login(customer)
    response = client.get(reverse("orders:contract_pdf", args=[offered.pk]))
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert len(response.content) > 10_000  # the Vazirmatn glyphs are embedded


@pytest.mark.requirement("R-ORD-4")
def test_the_public_verification_page_shows_valid_then_does_not_match_after_tampering(
    client, confirmed
):
    sign_both(confirmed)
    contract = confirmed.contract
    url = reverse("contract_verify", args=[contract.public_id])
    page = client.get(url)  # no login
    assert page.status_code == 200
    content = page.content.decode()
    assert f"#{confirmed.pk}" in content
    assert "Sara" in content and "Maryam" in content
    assert "Sara Customer" not in content and "Maryam Provider" not in content
    assert contract.text_sha256 in content
    assert content.count('class="valid"') == 3  # the text and both signatures
    assert "does not match" not in content

    # Someone with raw database access edits the text. On PostgreSQL a trigger refuses that,
    # so switch it off inside this test's transaction to see the page catch the tampering.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # settle deferred checks first
            cursor.execute("ALTER TABLE orders_contract DISABLE TRIGGER USER")
    Contract.objects.filter(pk=contract.pk).update(text=contract.text + "Extra clause.\n")
    content = client.get(url).content.decode()
    assert content.count("does not match") == 3
    assert 'class="valid"' not in content


@pytest.mark.requirement("R-ORD-4")
def test_postgresql_refuses_to_change_a_contract_or_a_signature(confirmed, request):
    if connection.vendor != "postgresql" or request.config.getoption("nomigrations"):
        pytest.skip("the guard is a PostgreSQL trigger created by a migration")
    sign_both(confirmed)
    contract = confirmed.contract
    with pytest.raises(IntegrityError), transaction.atomic():
        Contract.objects.filter(pk=contract.pk).update(text="Something else")
    with pytest.raises(IntegrityError), transaction.atomic():
        contract.signatures.update(typed_name="Someone else")
    with pytest.raises(IntegrityError), transaction.atomic():
        contract.signatures.all().delete()
    contract.refresh_from_db()
    assert contract.text_sha256 == contracts.text_sha256(contract.text)


def test_the_verification_page_of_an_unknown_code_is_404(client):
    url = reverse("contract_verify", args=["00000000-0000-0000-0000-000000000000"])
    assert client.get(url).status_code == 404


@pytest.mark.requirement("R-ORD-4")
def test_signing_on_the_page_with_a_wrong_name_saves_nothing(customer_client, confirmed):
    response = customer_client.post(
        reverse("orders:contract", args=[confirmed.pk]),
        {
            "typed_name": "Someone Else",
            "agree": "on",
            "text_sha256": confirmed.contract.text_sha256,
        },
    )
    assert response.status_code == 200
    assert "Type your full name exactly as it is on your account." in response.content.decode()
    assert ContractSignature.objects.count() == 0
