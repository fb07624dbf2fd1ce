"""Models of the orders app, one module per concern; import them from `orders.models`."""

from .catalogue import ServiceType
from .contracts import Contract, ContractParty, ContractSignature, ContractTemplate
from .core import (
    BLOCKING_STATUSES,
    CANCELLABLE_STATUSES,
    Channel,
    IdempotencyKey,
    Order,
    OrderEvent,
    OrderQuerySet,
    OrderStatus,
    SavedAddress,
)
from .guarantee import BalanceEntry, ClaimStatus, GuaranteeClaim

__all__ = [
    "BLOCKING_STATUSES",
    "CANCELLABLE_STATUSES",
    "BalanceEntry",
    "Channel",
    "ClaimStatus",
    "Contract",
    "ContractParty",
    "ContractSignature",
    "ContractTemplate",
    "GuaranteeClaim",
    "IdempotencyKey",
    "Order",
    "OrderEvent",
    "OrderQuerySet",
    "OrderStatus",
    "SavedAddress",
    "ServiceType",
]
