"""Account services, one module per topic: phone codes (phone_codes), customers' accounts and
passwords (customers), the API's tokens and passwords set by anyone (tokens)."""

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
from .tokens import (
    IssuedToken,
    TokenRefused,
    authenticate_api_token,
    issue_api_token,
    purge_old_tokens,
    revoke_api_token,
    revoke_api_tokens,
    set_user_password,
    sign_out_everywhere,
)

__all__ = [
    "AccountError",
    "IssuedToken",
    "PhoneVerificationError",
    "TokenRefused",
    "ascii_digits",
    "authenticate_api_token",
    "check_phone_code",
    "issue_api_token",
    "normalised_phone",
    "phone_verified_since",
    "purge_old_tokens",
    "register_customer",
    "request_phone_code",
    "revoke_api_token",
    "revoke_api_tokens",
    "send_phone_code",
    "set_password_by_code",
    "set_user_password",
    "sign_out_everywhere",
    "verify_phone_code",
]
