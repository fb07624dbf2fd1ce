"""Customers' accounts: sign-up on a confirmed number, a new password by SMS code (which signs
the app out everywhere)."""

from datetime import timedelta

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ..models import CodePurpose, Role, TokenRevocation, User
from .phone_codes import normalised_phone, phone_verified_since
from .tokens import revoke_api_tokens

# How long a confirmed number stays good for finishing the sign-up or choosing a password.
CONFIRMED_NUMBER_MINUTES = 30


class AccountError(ValidationError):
    """The account cannot be made or changed; the message says why."""


def _confirmed(phone: str, purpose: str) -> None:
    since = timezone.now() - timedelta(minutes=CONFIRMED_NUMBER_MINUTES)
    if not phone_verified_since(phone=phone, since=since, purpose=purpose):
        raise AccountError(_("Confirm your phone number with the code we send you first."))


@transaction.atomic
def register_customer(*, full_name: str, phone, email: str, password: str) -> User:
    """A customer's account for a number its owner confirmed with a code (never someone
    else's number: R-SEC-3)."""
    phone = normalised_phone(phone)
    _confirmed(phone, CodePurpose.NEW_ACCOUNT)
    if User.objects.select_for_update().filter(phone=phone).exists():
        raise AccountError(_("An account with this phone number already exists. Log in instead."))
    return User.objects.create_user(
        phone=phone,
        password=password,
        full_name=full_name,
        email=email,
        role=Role.CUSTOMER,
        preferred_language=translation.get_language() or "",
    )


@transaction.atomic
def set_password_by_code(*, phone, password: str) -> User:
    """A new password for the account of a number confirmed with a password-reset code."""
    phone = normalised_phone(phone)
    _confirmed(phone, CodePurpose.PASSWORD_RESET)
    user = User.objects.select_for_update().filter(phone=phone, is_active=True).first()
    if user is None:
        raise AccountError(_("Confirm your phone number with the code we send you first."))
    try:
        password_validation.validate_password(password, user)
    except ValidationError as error:
        raise AccountError({"new_password1": error.messages}) from error
    user.set_password(password)
    user.save(update_fields=["password"])
    # Whoever held the old password may hold the app's tokens too.
    revoke_api_tokens(user=user, why=TokenRevocation.PASSWORD)
    return user
