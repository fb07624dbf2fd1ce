"""Electronic service contracts (R-ORD-4, R-QC-6).

When a provider is assigned (`lifecycle.confirm_order`), the contract is generated once from the
newest `ContractTemplate` in the customer's language and frozen:

    text = render(f"{template.title}\\n\\n{template.body}")  (both are Django template text;
           line endings "\\n", no trailing spaces, one final newline)
    text_sha256 = sha256(text.encode("utf-8")).hexdigest()

The customer and the assigned provider each sign that exact text by typing their full name; the
signature keeps the time, IP address, browser and the SHA-256 of the text signed. The job cannot
start before both have signed. Contracts and signatures are never changed (the models refuse a
second save; the admin shows them read-only).
"""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.template import Context, Template
from django.template.loader import get_template
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.notifications import notify_user
from core.signing import normalised_text, text_sha256, typed_name_refusal

from ..models import (
    Contract,
    ContractParty,
    ContractSignature,
    ContractTemplate,
    Order,
    SeriesOccurrence,
)
from ..models import OrderStatus as S
from ..money import format_amount, format_money
from .common import OrderError


class ContractError(OrderError):
    """The contract cannot be generated or signed; the message says why."""


def _language(code: str | None) -> str:
    known = dict(settings.LANGUAGES)
    return code if code in known else settings.LANGUAGE_CODE


def current_template(language: str | None) -> ContractTemplate:
    """The newest version in `language`; with none yet, version 1 from the bundled file."""
    language = _language(language)
    found = ContractTemplate.objects.filter(language=language).order_by("-version").first()
    if found is not None:
        return found
    bundled = get_template(f"orders/contracts/contract_v1_{language}.txt")
    source = bundled.template.source  # type: ignore[attr-defined]  # Django's own backend
    title, _blank, body = source.partition("\n\n")
    try:
        with transaction.atomic():
            return ContractTemplate.objects.create(
                version=1, language=language, title=title.strip(), body=body.strip() + "\n"
            )
    except IntegrityError:  # another request created it first
        return ContractTemplate.objects.get(version=1, language=language)


def render_contract(template: ContractTemplate, order: Order) -> str:
    """The contract's exact text for `order` (with its provider), in the template's language."""
    provider = order.provider
    if provider is None:
        raise ContractError(_("The contract is prepared once a provider accepts the order."))
    with translation.override(template.language), timezone.override(settings.TIME_ZONE):
        context = {
            "order": order,
            "customer_name": order.customer.full_name,
            "provider_name": provider.user.full_name,
            "provider_number": provider.pk,
            "service_name": _(order.service_type.name),
            "area_name": _(order.area.name),
            "starts_at": timezone.localtime(order.starts_at),
            "ends_at": timezone.localtime(order.ends_at),
            "time_zone": settings.TIME_ZONE,
            # The amount alone (templates add the currency code) and with the currency's name.
            "price": format_amount(order.price, order.currency, template.language),
            "price_money": format_money(order.price, order.currency, template.language),
            # R-ORD-2: the options and price lines frozen on the order, in this language.
            "option_names": [_(chosen.name) for chosen in order.options.all()],
            "price_lines": [
                {
                    "label": line.label,
                    "amount": format_money(line.amount, order.currency, template.language),
                }
                for line in order.price_breakdown
            ],
            "generated_on": timezone.localdate(),
            "free_cancellation_hours": settings.FREE_CANCELLATION_HOURS,
            "late_cancellation_fee_percent": settings.LATE_CANCELLATION_FEE_PERCENT,
            "guarantee_claim_days": settings.GUARANTEE_CLAIM_DAYS,
        }
        text = Template(template.document).render(Context(context, autoescape=False))
    return normalised_text(text)


@transaction.atomic
def generate_contract(*, order: Order) -> Contract:
    """Make the order's contract once its provider is assigned; an order keeps one contract."""
    order = (
        Order.objects.select_for_update(of=("self",))
        .select_related("customer", "provider__user", "service_type", "area")
        .get(pk=order.pk)
    )
    existing = Contract.objects.filter(order=order).first()
    if existing is not None:
        return existing
    if order.provider_id is None:
        raise ContractError(_("The contract is prepared once a provider accepts the order."))
    template = current_template(order.customer.preferred_language or settings.LANGUAGE_CODE)
    text = render_contract(template, order)
    contract = Contract.objects.create(
        order=order,
        template=template,
        language=template.language,
        text=text,
        text_sha256=text_sha256(text),
    )
    # An occurrence of a recurring series with a standing agreement is signed by the customer
    # under that agreement; the provider still signs it.
    sign_under_standing_agreement(contract=contract)
    contract_id = contract.pk
    transaction.on_commit(lambda: _tell_parties_contract_ready(contract_id))
    return contract


def _tell_parties_contract_ready(contract_id: int) -> None:
    contract = Contract.objects.select_related(
        "order__customer", "order__provider__user", "order__service_type"
    ).get(pk=contract_id)
    order = contract.order
    # Signed already by a recurring series' standing agreement: say so instead of "sign it".
    agreements = dict(
        contract.signatures.filter(standing_agreement__isnull=False).values_list(
            "party", "standing_agreement_id"
        )
    )
    assert order.provider is not None  # a contract exists only for an assigned order
    for party, user in (
        (ContractParty.CUSTOMER, order.customer),
        (ContractParty.PROVIDER, order.provider.user),
    ):
        notify_user(
            user=user,
            template="orders/notifications/contract_ready",
            context={
                "order": order,
                "contract": contract,
                "party": party,
                "standing_agreement": agreements.get(party),
            },
        )


def signed_parties(contract: Contract) -> set[str]:
    return set(contract.signatures.values_list("party", flat=True))


def is_fully_signed(contract: Contract) -> bool:
    return signed_parties(contract) >= {ContractParty.CUSTOMER, ContractParty.PROVIDER}


def order_is_fully_signed(order: Order) -> bool:
    contract = Contract.objects.filter(order=order).first()
    return contract is not None and is_fully_signed(contract)


def party_of(order: Order, user) -> str | None:
    """Which side `user` signs for on this order, or None if neither."""
    if user is None or not user.is_authenticated:
        return None
    if order.customer_id == user.pk:
        return ContractParty.CUSTOMER
    if order.provider is not None and order.provider.user_id == user.pk:
        return ContractParty.PROVIDER
    return None


@transaction.atomic
def sign_contract(
    *,
    contract: Contract,
    party: str,
    user,
    typed_name: str,
    ip_address: str | None,
    user_agent: str,
    shown_sha256: str | None = None,
) -> ContractSignature:
    """Sign the contract's exact text for one side. `shown_sha256`, when given, is the hash of
    the text the signer was shown; signing is refused if it differs from the stored text."""
    order = (
        Order.objects.select_for_update(of=("self",))
        .select_related("provider__user")
        .get(pk=contract.order_id)
    )
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    if party not in ContractParty.values or party_of(order, user) != party:
        raise ContractError(
            _("Only the customer and the assigned provider can sign this contract.")
        )
    if order.status == S.CANCELLED:
        raise ContractError(_("This order is cancelled; its contract can no longer be signed."))
    if contract.signatures.filter(party=party).exists():
        raise ContractError(_("You have already signed this contract."))
    digest = text_sha256(contract.text)
    if digest != contract.text_sha256 or (shown_sha256 is not None and shown_sha256 != digest):
        raise ContractError(
            _("The contract text does not match what was generated. Please contact support.")
        )
    refusal = typed_name_refusal(typed_name, user.full_name)
    if refusal:
        raise ContractError(refusal)
    try:
        with transaction.atomic():
            return ContractSignature.objects.create(
                contract=contract,
                party=party,
                signer=user,
                text_sha256=digest,
                **ContractSignature.evidence(
                    typed_name=typed_name, ip_address=ip_address, user_agent=user_agent
                ),
            )
    except IntegrityError as error:
        raise ContractError(_("You have already signed this contract.")) from error


def sign_under_standing_agreement(*, contract: Contract) -> ContractSignature | None:
    """Record the customer's signature on a new occurrence contract when the series has a
    standing agreement signed by that customer (orders/services/recurring.py). Call inside the
    transaction that generated the contract; returns None when no agreement covers it."""
    occurrence = (
        SeriesOccurrence.objects.filter(order_id=contract.order_id)
        .select_related("series__agreement", "order")
        .first()
    )
    if occurrence is None:
        return None
    agreement = getattr(occurrence.series, "agreement", None)
    order = occurrence.order
    if agreement is None or order is None or agreement.signer_id != order.customer_id:
        return None
    if contract.signatures.filter(party=ContractParty.CUSTOMER).exists():
        return None
    return ContractSignature.objects.create(
        contract=contract,
        party=ContractParty.CUSTOMER,
        signer_id=agreement.signer_id,
        typed_name=agreement.typed_name,
        signed_at=timezone.now(),
        ip_address=agreement.ip_address,
        user_agent=agreement.user_agent,
        text_sha256=contract.text_sha256,
        standing_agreement=agreement,
    )


def with_signature_flags(orders: QuerySet) -> QuerySet:
    """Annotate orders with `customer_signed` and `provider_signed` (one query for a list)."""
    signatures = ContractSignature.objects.filter(contract__order=OuterRef("pk"))
    return orders.annotate(
        customer_signed=Exists(signatures.filter(party=ContractParty.CUSTOMER)),
        provider_signed=Exists(signatures.filter(party=ContractParty.PROVIDER)),
    )
