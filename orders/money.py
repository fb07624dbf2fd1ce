"""Money for people to read: amounts formatted for the active language (R-ORD-2, R-I18N-1).

Babel is not a dependency, so this is a small table of the languages we serve: digits, the
grouping and decimal separators, and the currency's name. Amounts are Decimals in the
currency's unit; whole amounts show no decimals. In Persian, Iranian rials may be shown in
tomans (1 toman = 10 rials) with MONEY_IRR_AS_TOMAN, as shops there usually do.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.utils import translation

NBSP = "\u00a0"

# language -> (digits 0-9, grouping separator, decimal separator)
NUMBERS = {
    "en": ("0123456789", ",", "."),
    # Extended Arabic-Indic digits, Arabic thousands separator and decimal separator.
    "fa": ("".join(chr(0x06F0 + d) for d in range(10)), "\u066c", "\u066b"),
    "ru": ("0123456789", NBSP, ","),
    "zh-hans": ("0123456789", ",", "."),
}

# currency -> language -> name shown after the amount
CURRENCY_NAMES = {
    "IRR": {"en": "IRR", "fa": "ریال", "ru": "риал", "zh-hans": "伊朗里亚尔"},
    "RUB": {"en": "RUB", "fa": "روبل", "ru": "₽", "zh-hans": "卢布"},
    "CNY": {"en": "CNY", "fa": "یوان", "ru": "юань", "zh-hans": "元"},
    "USD": {"en": "USD", "fa": "دلار", "ru": "долл.", "zh-hans": "美元"},
    "EUR": {"en": "EUR", "fa": "یورو", "ru": "€", "zh-hans": "欧元"},
}
TOMAN = "تومان"

# Digits after the decimal point a currency's amounts may have.
MINOR_DIGITS = {"IRR": 0}


def _language(language: str | None) -> str:
    code = (language or translation.get_language() or settings.LANGUAGE_CODE).lower()
    if code in NUMBERS:
        return code
    base = code.split("-")[0]
    if base == "zh":
        return "zh-hans"
    return base if base in NUMBERS else "en"


def format_number(amount: Decimal, language: str | None = None, digits: int = 2) -> str:
    """`amount` with grouped thousands, at most `digits` decimals (none when whole)."""
    digits_table, group, point = NUMBERS[_language(language)]
    quantum = Decimal(1).scaleb(-digits)
    amount = Decimal(amount).quantize(quantum, rounding=ROUND_HALF_UP)
    sign = "-" if amount < 0 else ""
    whole, _dot, fraction = f"{abs(amount):f}".partition(".")
    if not fraction.strip("0"):
        fraction = ""
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    text = group.join(groups) + (point + fraction if fraction else "")
    return sign + text.translate(str.maketrans("0123456789", digits_table))


def format_amount(amount, currency: str | None = None, language: str | None = None) -> str:
    """The number alone, as format_money writes it (no currency name, no toman conversion)."""
    currency = (currency or settings.CURRENCY).upper()
    return format_number(Decimal(str(amount)), language, MINOR_DIGITS.get(currency, 2))


def _as_toman(currency: str, language: str) -> bool:
    return currency == "IRR" and language == "fa" and settings.MONEY_IRR_AS_TOMAN


def currency_name(currency: str | None = None, language: str | None = None) -> str:
    """The currency's name for readers of `language` (the code when we have no name)."""
    currency = (currency or settings.CURRENCY).upper()
    language = _language(language)
    if _as_toman(currency, language):
        return TOMAN
    return CURRENCY_NAMES.get(currency, {}).get(language, currency)


def money_amount(amount, currency: str | None = None, language: str | None = None) -> str:
    """The number as format_money writes it, to put before currency_name() in a sentence."""
    if amount in (None, ""):
        return ""
    try:
        amount = Decimal(str(amount))
    except InvalidOperation:
        return str(amount)
    currency = (currency or settings.CURRENCY).upper()
    language = _language(language)
    if _as_toman(currency, language):
        return format_number(amount / 10, language, 1)
    return format_number(amount, language, MINOR_DIGITS.get(currency, 2))


def format_money(amount, currency: str | None = None, language: str | None = None) -> str:
    """e.g. 3,700,000 IRR (en), 3 700 000 риал (ru), 3,700,000 伊朗里亚尔 (zh-hans); in Persian
    with Persian digits and separators and the name ریال (or tomans, see the module)."""
    number = money_amount(amount, currency, language)
    if not number:
        return ""
    # A plain space before the name: an NBSP would force UCS-2 on an otherwise GSM-7 SMS.
    return f"{number} {currency_name(currency, language)}"
