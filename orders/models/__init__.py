"""Models of the orders app, one module per concern; import them from `orders.models`."""

from .care import CareRecipient, CareRecipientAccess, Condition, Mobility
from .catalogue import PaymentTiming, ServiceCategory, ServiceOption, ServiceType
from .contracts import (
    Contract,
    ContractParty,
    ContractSignature,
    ContractStatus,
    ContractTemplate,
)
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
from .execution import CHECK_IN_ITEMS, ArrivalCheckIn, CompletionReport
from .guarantee import ClaimStatus, GuaranteeClaim
from .pricebook import (
    Difficulty,
    OrderOption,
    PriceBook,
    PriceBookLocked,
    PriceBookStatus,
    PriceLine,
    PriceRule,
    PricingUnit,
)
from .recurring import (
    RecurringSeries,
    SeriesAgreement,
    SeriesEvent,
    SeriesInterval,
    SeriesOccurrence,
    SeriesStatus,
)

__all__ = [
    "BLOCKING_STATUSES",
    "CANCELLABLE_STATUSES",
    "CHECK_IN_ITEMS",
    "ArrivalCheckIn",
    "CareRecipient",
    "CareRecipientAccess",
    "Channel",
    "ClaimStatus",
    "CompletionReport",
    "Condition",
    "Contract",
    "ContractParty",
    "ContractSignature",
    "ContractStatus",
    "ContractTemplate",
    "Difficulty",
    "GuaranteeClaim",
    "IdempotencyKey",
    "Mobility",
    "Order",
    "OrderEvent",
    "OrderOption",
    "OrderQuerySet",
    "OrderStatus",
    "PaymentTiming",
    "PriceBook",
    "PriceBookLocked",
    "PriceBookStatus",
    "PriceLine",
    "PriceRule",
    "PricingUnit",
    "RecurringSeries",
    "SavedAddress",
    "SeriesAgreement",
    "SeriesEvent",
    "SeriesInterval",
    "SeriesOccurrence",
    "SeriesStatus",
    "ServiceCategory",
    "ServiceOption",
    "ServiceType",
]
