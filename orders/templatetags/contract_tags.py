from django import template

from ..models import ContractParty
from ..services.contracts import current_contract, signed_parties

register = template.Library()


@register.inclusion_tag("orders/fragment_contract_panel.html")
def contract_panel(order):
    """The contract's status and the link to read and sign it, on the customer's order page."""
    contract = current_contract(order)
    parties = signed_parties(contract) if contract else set()
    return {
        "order": order,
        "contract": contract,
        "customer_signed": ContractParty.CUSTOMER in parties,
        "provider_signed": ContractParty.PROVIDER in parties,
    }
