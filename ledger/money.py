"""Amounts in minor units: what the ledger stores (integers), from and to the Decimal amounts
orders carry."""

from decimal import Decimal

# ISO 4217 exponents of the currencies we serve; others have two decimals.
EXPONENTS = {"IRR": 2, "RUB": 2, "CNY": 2, "USD": 2, "EUR": 2, "JPY": 0}


def exponent(currency: str) -> int:
    return EXPONENTS.get(currency.upper(), 2)


def to_minor(amount: Decimal | int, currency: str) -> int:
    """An exact amount in minor units; an amount finer than the currency allows is refused."""
    scaled = Decimal(amount).scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} {currency} has more decimals than the currency allows")
    return int(scaled)


def from_minor(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-exponent(currency))
