"""Phone verification by one-time code (R-VET-1, R-SEC-3).

A code is six digits from `secrets`, sent by SMS and stored only as an HMAC keyed with the
SECRET_KEY and a per-code salt: a database leak does not reveal live codes, and (unlike a
password hash) checking is cheap while an offline guess of all 10^6 codes needs the key.
Only the newest code for a number and purpose counts. It expires after PHONE_CODE_MINUTES and
allows PHONE_CODE_MAX_ATTEMPTS wrong tries; a new one is refused within
PHONE_CODE_RESEND_SECONDS of the previous one.

The doors are limited (accounts/limits.py): codes asked for per number and per address, codes
checked per number and per address. A new code never gives new tries: the checks are counted
per number, whatever the code.

The answer never says whether a number has an account: asked for a new account's code, a
number that already has one gets an SMS saying so instead of a code; asked for a password
reset's code, a number without an account gets nothing. Either way a row is written and the
pages answer as if a code had been sent.
"""

import math
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from phonenumber_field.phonenumber import to_python

from core.notifications import send_text

from .. import limits
from ..models import CodePurpose, PhoneVerification, User

_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")


class PhoneVerificationError(ValidationError):
    """The code cannot be sent or was not accepted; the message says why."""


def ascii_digits(value: str) -> str:
    """Persian and Arabic-Indic digits, as phone keyboards type them, as ASCII digits."""
    return (value or "").translate(_DIGITS)


def normalised_phone(phone) -> str:
    """The number in E.164, from any local or international form; refused if not valid."""
    number = to_python(ascii_digits(str(phone)) if isinstance(phone, str) else phone)
    if number is None or not number.is_valid():
        raise PhoneVerificationError(_("Enter a valid phone number."))
    return number.as_e164


def _code_hash(phone: str, code: str, salt: str) -> str:
    digest = salted_hmac("accounts.phone-code", f"{salt}:{phone}:{code}", algorithm="sha256")
    return f"{salt}${digest.hexdigest()}"


def _code_matches(verification: PhoneVerification, code: str) -> bool:
    salt, _sep, _digest = verification.code_hash.partition("$")
    expected = _code_hash(str(verification.phone), code, salt)
    return constant_time_compare(expected, verification.code_hash)


def _newest(phone: str, purpose: str):
    return (
        PhoneVerification.objects.select_for_update()
        .filter(phone=phone, purpose=purpose)
        .order_by("-created_at", "-pk")
        .first()
    )


def _code_text(purpose: str, code: str, has_account: bool) -> str | None:
    """The SMS for this request: the code, a word that the number has an account already, or
    nothing (no account to reset)."""
    minutes = settings.PHONE_CODE_MINUTES
    if purpose == CodePurpose.PASSWORD_RESET:
        if not has_account:
            return None
        return _(
            "Your Home services code to choose a new password is %(code)s. It expires in "
            "%(minutes)d minutes. If you did not ask for it, ignore this message."
        ) % {"code": code, "minutes": minutes}
    if has_account:
        return _(
            "Someone asked to open a Home services account with this number, which has one "
            "already. Log in at %(url)s (or choose a new password there). If it was not you, "
            "ignore this message."
        ) % {"url": settings.SITE_URL + reverse("accounts:login")}
    return _("Your Home services code is %(code)s. It expires in %(minutes)d minutes.") % {
        "code": code,
        "minutes": minutes,
    }


@transaction.atomic
def send_phone_code(*, phone, purpose: str = CodePurpose.NEW_ACCOUNT) -> PhoneVerification:
    """Make a new code for `phone` and `purpose` and send what it calls for by SMS (after
    commit) in the active language. Not limited here: the edges call `request_phone_code`."""
    phone = normalised_phone(phone)
    now = timezone.now()
    latest = _newest(phone, purpose)
    if latest is not None:
        wait = settings.PHONE_CODE_RESEND_SECONDS - (now - latest.created_at).total_seconds()
        if wait > 0:
            raise PhoneVerificationError(
                ngettext(
                    "A code was sent a moment ago. You can ask for a new one in %(seconds)d "
                    "second.",
                    "A code was sent a moment ago. You can ask for a new one in %(seconds)d "
                    "seconds.",
                    math.ceil(wait),
                )
                % {"seconds": math.ceil(wait)}
            )
    code = f"{secrets.randbelow(10**6):06d}"
    has_account = User.objects.filter(phone=phone).exists()
    text = _code_text(purpose, code, has_account)
    # When no code is sent, the row stands for one nobody knows: no typed code matches it.
    stored = code if text is not None and code in text else secrets.token_hex(16)
    verification = PhoneVerification.objects.create(
        phone=phone,
        purpose=purpose,
        code_hash=_code_hash(phone, stored, secrets.token_hex(8)),
        expires_at=now + timedelta(minutes=settings.PHONE_CODE_MINUTES),
    )
    if text is not None:
        send_text(to=phone, text=text, secret=stored == code)
    return verification


def request_phone_code(*, phone, address: str, purpose: str = CodePurpose.NEW_ACCOUNT):
    """A code asked for at one of the doors (apply, sign up, password reset, "send a new
    code"): limited per number and per client address, then `send_phone_code`."""
    number = normalised_phone(phone)
    limits.hit_code_request(number=number, address=address)
    return send_phone_code(phone=number, purpose=purpose)


def check_phone_code(
    *, phone, code: str, address: str, purpose: str = CodePurpose.NEW_ACCOUNT
) -> PhoneVerification:
    """A code typed at one of the doors: limited per number (whatever code is newest) and per
    client address, then `verify_phone_code`."""
    number = normalised_phone(phone)
    limits.hit_code_check(number=number, address=address)
    verification = verify_phone_code(phone=number, code=code, purpose=purpose)
    limits.code_check_succeeded(number=number, address=address)
    return verification


def verify_phone_code(
    *, phone, code: str, purpose: str = CodePurpose.NEW_ACCOUNT
) -> PhoneVerification:
    """Accept the newest code sent to `phone` for `purpose`, or count a wrong try and say what
    to do next.

    Not atomic as a whole on purpose: a wrong try is committed before the refusal is raised,
    so do not call it inside a transaction that the refusal would roll back.
    """
    phone = normalised_phone(phone)
    code = ascii_digits(code or "").strip()
    with transaction.atomic():
        verification = _newest(phone, purpose)
        if verification is None:
            raise PhoneVerificationError(_("No code was sent to this number. Ask for a code."))
        if verification.verified_at is not None:
            if _code_matches(verification, code):
                return verification
            raise PhoneVerificationError(_("This code was already used. Ask for a new code."))
        if verification.attempts >= settings.PHONE_CODE_MAX_ATTEMPTS:
            raise PhoneVerificationError(_("Too many wrong tries. Ask for a new code."))
        if timezone.now() >= verification.expires_at:
            raise PhoneVerificationError(_("This code has expired. Ask for a new code."))
        if _code_matches(verification, code):
            verification.verified_at = timezone.now()
            verification.save(update_fields=["verified_at"])
            return verification
        # A wrong try is saved (this block commits) before the refusal is raised.
        PhoneVerification.objects.filter(pk=verification.pk).update(attempts=F("attempts") + 1)
        left = settings.PHONE_CODE_MAX_ATTEMPTS - verification.attempts - 1
    if left <= 0:
        raise PhoneVerificationError(_("Too many wrong tries. Ask for a new code."))
    raise PhoneVerificationError(
        ngettext(
            "That code is not right. You have %(left)d more try.",
            "That code is not right. You have %(left)d more tries.",
            left,
        )
        % {"left": left}
    )


def phone_verified_since(*, phone, since, purpose: str = CodePurpose.NEW_ACCOUNT) -> bool:
    """Whether a code sent to `phone` for `purpose` was confirmed at or after `since`.

    Any confirmed code counts, not only the newest: someone else asking for a new code for the
    number must not undo the owner's confirmation.
    """
    try:
        phone = normalised_phone(phone)
    except PhoneVerificationError:
        return False
    return PhoneVerification.objects.filter(
        phone=phone, purpose=purpose, verified_at__gte=since
    ).exists()
