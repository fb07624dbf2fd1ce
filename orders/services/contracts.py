"""Electronic service contracts (R-ORD-4, R-QC-6).

When a provider is assigned (`lifecycle.confirm_order`), a contract is generated from the
newest `ContractTemplate` in the customer's language and frozen:

    text = render(f"{template.title}\\n\\n{template.body}")  (both are Django template text;
           line endings "\\n", no trailing spaces, one final newline)
    text_sha256 = sha256(text.encode("utf-8")).hexdigest()

The customer and the provider it names each sign that exact text by typing their full name; the
signature keeps the time, IP address, browser and the SHA-256 of the text signed. The job cannot
start before both have signed. A contract and its signatures are never changed (the models
refuse a second save, a trigger refuses an update of the text or the terms, the admin shows
them read-only). A contract follows the job: it records the provider, service, time and price
it states, and when any of them changes (another provider, a new time, a price for another
tier) the contract in force is voided (who, when, why; both parties told) and a new one is
issued for both to sign.
"""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.template import Context, Template
from django.template.loader import get_template
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.notifications import notify_user
from core.outbox import after_commit
from core.signing import normalised_text, text_sha256, typed_name_refusal

from ..models import (
    Contract,
    ContractParty,
    ContractSignature,
    ContractStatus,
    ContractTemplate,
    Order,
    SeriesOccurrence,
)
from ..models import OrderStatus as S
from ..money import format_amount, format_money
from .common import OrderError, add_note


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


def current_contract(order: Order) -> Contract | None:
    """The order's contract in force, if any."""
    return Contract.objects.current().filter(order=order).select_related("provider__user").first()


@transaction.atomic
def generate_contract(*, order: Order, actor=None) -> Contract:
    """The contract for the job as it is now (R-ORD-4): the one in force if it still describes
    the job (its provider, service, time and price), else that one is voided (recorded, both
    parties told) and a new one is issued for both to sign. `actor` is who changed the job."""
    order = (
        Order.objects.select_for_update(of=("self",))
        .select_related("customer", "provider__user", "service_type", "area")
        .get(pk=order.pk)
    )
    existing = current_contract(order)
    if existing is not None and existing.describes(order):
        return existing
    if order.provider_id is None:
        raise ContractError(_("The contract is prepared once a provider accepts the order."))
    if existing is not None:
        _void(existing, actor=actor, reason=_what_changed(existing, order))
    template = current_template(order.customer.preferred_language or settings.LANGUAGE_CODE)
    text = render_contract(template, order)
    contract = Contract.objects.create(
        order=order,
        template=template,
        language=template.language,
        text=text,
        text_sha256=text_sha256(text),
        provider=order.provider,
        service_type=order.service_type,
        starts_at=order.starts_at,
        ends_at=order.ends_at,
        price=order.price,
    )
    # An occurrence of a recurring series with a standing agreement is signed by the customer
    # under that agreement; the provider still signs it.
    sign_under_standing_agreement(contract=contract)
    contract_id = contract.pk
    after_commit(_tell_parties_contract_ready, contract_id)
    return contract


# Why a contract no longer describes the job, as stored on it (English message ids).
CHANGED_PROVIDER = gettext_noop("The provider changed")
CHANGED_TIME = gettext_noop("The time changed")
CHANGED_PRICE = gettext_noop("The price changed")
CHANGED_SERVICE = gettext_noop("The service changed")


def _what_changed(contract: Contract, order: Order) -> str:
    """The main change (one message id, translated when shown): provider, time, price,
    service."""
    for changed, reason in (
        (contract.provider_id != order.provider_id, CHANGED_PROVIDER),
        ((contract.starts_at, contract.ends_at) != (order.starts_at, order.ends_at), CHANGED_TIME),
        (contract.price != order.price, CHANGED_PRICE),
        (contract.service_type_id != order.service_type_id, CHANGED_SERVICE),
    ):
        if changed:
            return reason
    return CONTRACT_VOIDED


@transaction.atomic
def void_contract(*, order: Order, actor, reason: str) -> Contract | None:
    """Void the order's contract in force, if any (its provider released, the job off): it is
    kept as it was, marked voided with who, when and why, and both parties are told."""
    existing = current_contract(order)
    if existing is None:
        return None
    _void(existing, actor=actor, reason=reason)
    return existing


def _void(contract: Contract, *, actor, reason: str) -> None:
    # An update of the status only: the text and the terms never change (a trigger too).
    Contract.objects.filter(pk=contract.pk, status=ContractStatus.CURRENT).update(
        status=ContractStatus.VOIDED, voided_at=timezone.now(), voided_by=actor, void_reason=reason
    )
    contract.status = ContractStatus.VOIDED
    add_note(contract.order, actor=actor, reason=CONTRACT_VOIDED)
    contract_id = contract.pk
    after_commit(_tell_parties_contract_voided, contract_id)


CONTRACT_VOIDED = gettext_noop("The contract was voided: it no longer described the job")


def _parties(contract: Contract) -> list[tuple[str, object]]:
    """(party, user) of the contract: its order's customer and the provider it names."""
    parties: list[tuple[str, object]] = [(ContractParty.CUSTOMER, contract.order.customer)]
    if contract.provider is not None:
        parties.append((ContractParty.PROVIDER, contract.provider.user))
    return parties


def _tell_parties_contract_voided(contract_id: int) -> None:
    contract = Contract.objects.select_related(
        "order__customer", "provider__user", "order__service_type"
    ).get(pk=contract_id)
    for party, user in _parties(contract):
        notify_user(
            user=user,
            template="orders/notifications/contract_voided",
            context={"order": contract.order, "contract": contract, "party": party},
        )


def _tell_parties_contract_ready(contract_id: int) -> None:
    contract = Contract.objects.select_related(
        "order__customer", "provider__user", "order__service_type"
    ).get(pk=contract_id)
    # Signed already by a recurring series' standing agreement: say so instead of "sign it".
    agreements = dict(
        contract.signatures.filter(standing_agreement__isnull=False).values_list(
            "party", "standing_agreement_id"
        )
    )
    for party, user in _parties(contract):
        notify_user(
            user=user,
            template="orders/notifications/contract_ready",
            context={
                "order": contract.order,
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
    """The contract in force describes the job as it is, and the customer and the provider it
    names have both signed it (R-ORD-4): nothing else lets the job start."""
    contract = current_contract(order)
    return contract is not None and contract.describes(order) and is_fully_signed(contract)


def party_of(order: Order, user, contract: Contract | None = None) -> str | None:
    """Which side `user` signs for (the order's customer, or the provider the contract names,
    else the order's provider), or None if neither."""
    if user is None or not user.is_authenticated:
        return None
    if order.customer_id == user.pk:
        return ContractParty.CUSTOMER
    provider = contract.provider if contract is not None else order.provider
    if provider is not None and provider.user_id == user.pk:
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
    contract = (
        Contract.objects.select_for_update(of=("self",))
        .select_related("provider")
        .get(pk=contract.pk)
    )
    if party not in ContractParty.values or party_of(order, user, contract) != party:
        raise ContractError(
            _("Only the customer and the provider it names can sign this contract.")
        )
    if not contract.is_current or not contract.describes(order):
        raise ContractError(
            _("This contract was voided because the job changed; sign the new one instead.")
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
    """Annotate orders with `customer_signed` and `provider_signed`, on their contract in force
    (one query for a list)."""
    signatures = ContractSignature.objects.filter(
        contract__order=OuterRef("pk"), contract__status=ContractStatus.CURRENT
    )
    return orders.annotate(
        customer_signed=Exists(signatures.filter(party=ContractParty.CUSTOMER)),
        provider_signed=Exists(signatures.filter(party=ContractParty.PROVIDER)),
    )
