import math
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from phonenumber_field.phonenumber import to_python

from core.tasks import delay_or_log, send_sms_task

from .models import PhoneVerification, Role, User


@transaction.atomic
def register_customer(*, full_name: str, phone, email: str, password: str) -> User:
    return User.objects.create_user(
        phone=phone,
        password=password,
        full_name=full_name,
        email=email,
        role=Role.CUSTOMER,
        preferred_language=translation.get_language() or "",
    )


# Phone verification by one-time code (R-VET-1) ----------------------------------------------
#
# A code is six digits from `secrets`, sent by SMS and stored only as an HMAC keyed with the
# SECRET_KEY and a per-code salt: a database leak does not reveal live codes, and (unlike a
# password hash) checking is cheap while an offline guess of all 10^6 codes needs the key.
# Only the newest code for a number counts. It expires after PHONE_CODE_MINUTES, allows
# PHONE_CODE_MAX_ATTEMPTS wrong tries, and a new one is refused within
# PHONE_CODE_RESEND_SECONDS of the previous one.

_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")


class PhoneVerificationError(ValidationError):
    """The code cannot be sent or was not accepted; the message says why."""


def ascii_digits(value: str) -> str:
    """Persian and Arabic-Indic digits, as phone keyboards type them, as ASCII digits."""
    return (value or "").translate(_DIGITS)


def _normalised_phone(phone) -> str:
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


@transaction.atomic
def send_phone_code(*, phone) -> PhoneVerification:
    """Make a new code for `phone` and send it by SMS (after commit) in the active language."""
    phone = _normalised_phone(phone)
    now = timezone.now()
    latest = (
        PhoneVerification.objects.select_for_update()
        .filter(phone=phone)
        .order_by("-created_at", "-pk")
        .first()
    )
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
    verification = PhoneVerification.objects.create(
        phone=phone,
        code_hash=_code_hash(phone, code, secrets.token_hex(8)),
        expires_at=now + timedelta(minutes=settings.PHONE_CODE_MINUTES),
    )
    text = _("Your Home services code is %(code)s. It expires in %(minutes)d minutes.") % {
        "code": code,
        "minutes": settings.PHONE_CODE_MINUTES,
    }
    transaction.on_commit(lambda: delay_or_log(send_sms_task, phone, text))
    return verification


def verify_phone_code(*, phone, code: str) -> PhoneVerification:
    """Accept the newest code sent to `phone`, or count a wrong try and say what to do next.

    Not atomic as a whole on purpose: a wrong try is committed before the refusal is raised,
    so do not call it inside a transaction that the refusal would roll back.
    """
    phone = _normalised_phone(phone)
    code = ascii_digits(code or "").strip()
    with transaction.atomic():
        verification = (
            PhoneVerification.objects.select_for_update()
            .filter(phone=phone)
            .order_by("-created_at", "-pk")
            .first()
        )
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


def phone_verified_since(*, phone, since) -> bool:
    """Whether a code sent to `phone` was confirmed at or after `since`.

    Any confirmed code counts, not only the newest: someone else asking for a new code for the
    number must not undo the owner's confirmation.
    """
    try:
        phone = _normalised_phone(phone)
    except PhoneVerificationError:
        return False
    return PhoneVerification.objects.filter(phone=phone, verified_at__gte=since).exists()
