"""The limited doors of accounts (R-SEC-3) and their limits, read from the settings each time
(core/throttle.py counts them): logins by account and by address, phone codes asked for by
number and by address, codes checked by number and by address."""

from django.conf import settings

from core.throttle import Limit, forgive, give_back, hit

QUARTER_HOUR = 15 * 60
HOUR = 60 * 60
DAY = 24 * HOUR


def login_by_account() -> tuple[Limit, ...]:
    return (
        Limit("login-account", settings.LOGIN_TRIES_PER_ACCOUNT, QUARTER_HOUR),
        Limit("login-account-day", settings.LOGIN_TRIES_PER_ACCOUNT_PER_DAY, DAY),
    )


def login_by_address() -> tuple[Limit, ...]:
    return (
        Limit("login-address", settings.LOGIN_TRIES_PER_ADDRESS, QUARTER_HOUR),
        Limit("login-address-day", settings.LOGIN_TRIES_PER_ADDRESS_PER_DAY, DAY),
    )


def code_requests_by_number() -> tuple[Limit, ...]:
    return (
        Limit("code-number", settings.PHONE_CODES_PER_NUMBER_PER_HOUR, HOUR),
        Limit("code-number-day", settings.PHONE_CODES_PER_NUMBER_PER_DAY, DAY),
    )


def code_requests_by_address() -> tuple[Limit, ...]:
    return (Limit("code-address", settings.PHONE_CODES_PER_IP_PER_HOUR, HOUR),)


def code_checks_by_number() -> tuple[Limit, ...]:
    return (Limit("code-check-number", settings.PHONE_CODE_CHECKS_PER_NUMBER, QUARTER_HOUR),)


def code_checks_by_address() -> tuple[Limit, ...]:
    return (Limit("code-check-address", settings.PHONE_CODE_CHECKS_PER_ADDRESS, QUARTER_HOUR),)


def _each(limits, key):
    return [(limit, key) for limit in limits]


def hit_login(*, account: str, address: str) -> None:
    """One login try for `account` (a phone number in E.164, "" if none could be read) from
    `address`; raises core.throttle.Limited when either has tried too often."""
    hit(_each(login_by_account(), account) + _each(login_by_address(), address))


def login_succeeded(*, account: str, address: str) -> None:
    """The owner logged in: their account's tries are forgotten, and this login does not use
    up the address's budget (others behind the same address)."""
    forgive(login_by_account(), account)
    give_back(login_by_address(), address)


def hit_code_request(*, number: str, address: str) -> None:
    hit(_each(code_requests_by_number(), number) + _each(code_requests_by_address(), address))


def hit_code_check(*, number: str, address: str) -> None:
    hit(_each(code_checks_by_number(), number) + _each(code_checks_by_address(), address))


def code_check_succeeded(*, number: str, address: str) -> None:
    forgive(code_checks_by_number(), number)
    give_back(code_checks_by_address(), address)
