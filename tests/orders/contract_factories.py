"""Helpers for tests that need an order's contract signed (R-ORD-4)."""

from orders.models import Contract, ContractParty, ContractSignature, Order
from orders.services.contracts import generate_contract, sign_contract


def sign_as(order: Order, party: str) -> ContractSignature:
    contract = generate_contract(order=order)
    user = order.customer if party == ContractParty.CUSTOMER else order.provider.user
    return sign_contract(
        contract=contract,
        party=party,
        user=user,
        typed_name=user.full_name,
        ip_address="203.0.113.7",
        user_agent="pytest",
    )


def sign_both(order: Order) -> Contract:
    """Generate the order's contract if needed and sign it as customer and as provider."""
    order = Order.objects.select_related("customer", "provider__user").get(pk=order.pk)
    contract = generate_contract(order=order)
    signed = set(contract.signatures.values_list("party", flat=True))
    for party in (ContractParty.CUSTOMER, ContractParty.PROVIDER):
        if party not in signed:
            sign_as(order, party)
    return contract
