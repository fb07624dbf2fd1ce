"""Account services, one module per topic: phone codes (phone_codes), customers' accounts and
passwords (customers)."""

from .customers import AccountError, register_customer, set_password_by_code
from .phone_codes import (
    PhoneVerificationError,
    ascii_digits,
    check_phone_code,
    normalised_phone,
    phone_verified_since,
    request_phone_code,
    send_phone_code,
    verify_phone_code,
)

__all__ = [
    "AccountError",
    "PhoneVerificationError",
    "ascii_digits",
    "check_phone_code",
    "normalised_phone",
    "phone_verified_since",
    "register_customer",
    "request_phone_code",
    "send_phone_code",
    "set_password_by_code",
    "verify_phone_code",
]
