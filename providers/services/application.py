"""The public application (R-VET-1): validation of what an applicant types, and submission.

The checks are functions here, not in the form, so that every way in (the public form, the
admin, a later API) refuses the same input with the same message. `submit_application` repeats
them all and saves nothing unless everything is right.
"""

import io
import re
import warnings
from collections.abc import Iterable
from datetime import date, time, timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from PIL import Image, ImageOps, UnidentifiedImageError

from accounts.models import FULL_NAME_MAX, Role, User
from accounts.services import ascii_digits, phone_verified_since
from core.crypto import keyed_hash
from core.outbox import after_commit

from ..models import Provider, ServiceArea, Skill
from ..models import ProviderStatus as S
from .lifecycle import PROVIDER_LIFECYCLE, tell_status_changed
from .profile import save_working_profile

MIN_AGE = 18
MAX_AGE = 70
MAX_YEARS_OF_EXPERIENCE = 60
# How long a confirmed phone number may be used to submit the form.
PHONE_VERIFIED_VALID_MINUTES = 120
# Photos are re-encoded as JPEG no larger than this on either side.
PHOTO_MAX_SIDE = 1600
PHOTO_FORMATS = {"JPEG", "PNG"}


class ApplicationError(ValidationError):
    """The application cannot be accepted; the message says what to correct."""


# National ID numbers ---------------------------------------------------------------------------


def normalise_national_id(value: str) -> str:
    """Digits as ASCII, without spaces or dashes, letters upper case."""
    return re.sub("[\\s\\-\u2010-\u2015]", "", ascii_digits(value or "")).upper()


def iranian_national_code_is_valid(code: str) -> bool:
    """The check digit of an Iranian national code (کد ملی): 10 digits, the last one checks.

    s = sum(digit[i] * (10 - i) for the first nine), r = s mod 11; the check digit is r when
    r < 2, else 11 - r. Codes of one repeated digit pass the sum but are never issued.
    """
    if not re.fullmatch(r"\d{10}", code) or len(set(code)) == 1:
        return False
    remainder = sum(int(code[i]) * (10 - i) for i in range(9)) % 11
    check = int(code[9])
    return check == remainder if remainder < 2 else check == 11 - remainder


def validate_national_id(value: str, *, region: str | None = None) -> str:
    """Return the normalised number, or raise ApplicationError.

    The format is that of the country the platform works in (PHONENUMBER_DEFAULT_REGION): in
    Iran the 10-digit national code with its check digit; elsewhere 5 to 20 letters or digits.
    """
    region = (region or settings.PHONENUMBER_DEFAULT_REGION or "").upper()
    number = normalise_national_id(value)
    if not number:
        raise ApplicationError({"national_id": _("Enter your national ID number.")})
    if region == "IR":
        if not re.fullmatch(r"\d{10}", number):
            raise ApplicationError(
                {"national_id": _("A national code has exactly 10 digits. Check your card.")}
            )
        if not iranian_national_code_is_valid(number):
            raise ApplicationError(
                {"national_id": _("This national code is not valid. Check every digit.")}
            )
    elif not re.fullmatch(r"[A-Z0-9]{5,20}", number):
        raise ApplicationError({"national_id": _("An ID number has 5 to 20 letters or digits.")})
    return number


# Other fields ----------------------------------------------------------------------------------


def age_on(birth_date: date, day: date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def validate_birth_date(birth_date: date, *, today: date | None = None) -> date:
    today = today or timezone.localdate()
    age = age_on(birth_date, today)
    if birth_date > today or age < MIN_AGE:
        raise ApplicationError(
            {"birth_date": _("You must be at least %(age)d years old to apply.") % {"age": MIN_AGE}}
        )
    if age > MAX_AGE:
        raise ApplicationError(
            {"birth_date": _("We take applicants up to %(age)d years old.") % {"age": MAX_AGE}}
        )
    return birth_date


def validate_weekly_hours(weekly_hours: Iterable[tuple[int, time, time]]) -> list:
    """(weekday, starts, ends) windows: at least one, each ending after it starts."""
    hours = list(weekly_hours)
    if not hours:
        raise ApplicationError(
            {"hours": _("Give the hours you can work on at least one day of the week.")}
        )
    for _day, starts, ends in hours:
        if ends <= starts:
            raise ApplicationError({"hours": _("Each day's end time must be after its start.")})
    return hours


def validate_skills(skills: Iterable[tuple[Skill, int]]) -> list:
    """(skill, years of experience) pairs: at least one skill from the catalogue."""
    skills = list(skills)
    if not skills:
        raise ApplicationError(
            {"skills": _("Choose at least one skill and say how many years you have done it.")}
        )
    for _skill, years in skills:
        if years is None or not 0 <= years <= MAX_YEARS_OF_EXPERIENCE:
            raise ApplicationError(
                {
                    "skills": _("Years of experience must be between 0 and %(max)d.")
                    % {"max": MAX_YEARS_OF_EXPERIENCE}
                }
            )
    return skills


def validate_areas(areas: Iterable[ServiceArea]) -> list:
    areas = list(areas)
    if not areas:
        raise ApplicationError({"areas": _("Choose at least one area where you can work.")})
    if any(not area.is_active for area in areas):
        raise ApplicationError({"areas": _("We do not work in one of the areas you chose.")})
    return areas


# Photos ----------------------------------------------------------------------------------------


class PreparedPhoto(ContentFile):
    """A photo that passed `prepare_photo`: a fresh JPEG without metadata."""


def prepare_photo(uploaded_file) -> PreparedPhoto:
    """Check an uploaded photo and re-encode it as an upright JPEG with no metadata at all.

    Refused: anything that Pillow does not read as JPEG or PNG (whatever its name says), files
    over UPLOAD_MAX_BYTES, images over UPLOAD_MAX_PIXELS, and decompression bombs, whose header
    is read before any pixel is decoded.
    """
    if uploaded_file is None:
        raise ApplicationError({"photo": _("Add a photo of yourself.")})
    if isinstance(uploaded_file, PreparedPhoto):
        return uploaded_file
    if uploaded_file.size > settings.UPLOAD_MAX_BYTES:
        raise ApplicationError(
            {
                "photo": _("The photo is too large: at most %(size)d MB.")
                % {"size": settings.UPLOAD_MAX_BYTES // (1024 * 1024)}
            }
        )
    too_many_pixels = ApplicationError(
        {"photo": _("The photo has too many pixels. Send a smaller picture.")}
    )
    wrong_type = ApplicationError({"photo": _("Send the photo as a JPEG or PNG picture.")})
    uploaded_file.seek(0)
    with warnings.catch_warnings():
        # Pillow warns between MAX_IMAGE_PIXELS and twice that, and raises above: both refuse.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image: Image.Image = Image.open(uploaded_file)
            if image.format not in PHOTO_FORMATS:
                raise wrong_type
            if image.width * image.height > settings.UPLOAD_MAX_PIXELS:
                raise too_many_pixels
            image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise too_many_pixels from exc
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            raise wrong_type from exc
    # Turn the picture upright as the camera meant it, since the EXIF tag saying so goes.
    image = ImageOps.exif_transpose(image)
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        background = Image.new("RGB", image.size, "white")
        background.paste(image, mask=image.getchannel("A"))
        image = background
    elif image.mode != "RGB":
        image = image.convert("RGB")
    image.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
    # Only the pixels go on: a fresh image has no info dict, so no EXIF (GPS, device), XMP, ICC
    # profile or comment of the upload can reach the public photo (R-SEC-6).
    clean = Image.frombytes(image.mode, image.size, image.tobytes())
    output = io.BytesIO()
    clean.save(output, format="JPEG", quality=85, optimize=True)
    return PreparedPhoto(output.getvalue(), name="photo.jpg")


def validate_password_for(password: str, *, full_name: str, phone) -> str:
    try:
        password_validation.validate_password(password, User(full_name=full_name, phone=phone))
    except ValidationError as error:
        raise ApplicationError({"password1": error.messages}) from error
    return password


# Duplicates ------------------------------------------------------------------------------------

DUPLICATE_PHONE = gettext_noop(
    "An account with this phone number already exists. Log in to see your application."
)
DUPLICATE_NATIONAL_ID = gettext_noop(
    "An application with this national ID number already exists. If it is yours, log in with "
    "the phone number you gave then, or call support."
)


def phone_is_taken(phone) -> bool:
    return User.objects.filter(phone=phone).exists()


def national_id_is_taken(national_id: str) -> bool:
    return Provider.objects.filter(national_id_hash=keyed_hash(national_id)).exists()


# Submission ------------------------------------------------------------------------------------


def _checked_name_and_address(phone, full_name: str, address: str) -> tuple[str, str]:
    """The name (spaces folded) and address as saved, once the phone is confirmed."""
    full_name = " ".join((full_name or "").split())
    address = (address or "").strip()
    if not full_name:
        raise ApplicationError({"full_name": _("Enter your full name.")})
    if len(full_name) > FULL_NAME_MAX:
        raise ApplicationError({"full_name": _("The name is too long.")})
    if not address:
        raise ApplicationError({"address": _("Enter your address.")})
    since = timezone.now() - timedelta(minutes=PHONE_VERIFIED_VALID_MINUTES)
    if not phone_verified_since(phone=phone, since=since):
        raise ApplicationError(_("Confirm your phone number with the code we send you first."))
    return full_name, address


def submit_application(
    *,
    phone,
    full_name: str,
    national_id: str,
    birth_date: date,
    address: str,
    areas: Iterable[ServiceArea],
    skills: Iterable[tuple[Skill, int]],
    work_history: str,
    weekly_hours: Iterable[tuple[int, time, time]],
    photo,
    password: str,
    language: str | None = None,
) -> Provider:
    """Create the applicant's account and their application, in status `applied`.

    `phone` must have been confirmed with a code (accounts.services.verify_phone_code) within
    PHONE_VERIFIED_VALID_MINUTES. The user gets the provider role, the password they chose and
    the active language; the event "" -> applied names them as the actor. Refused, with nothing
    saved, when anything is wrong or the phone or national ID number is already known.
    """
    full_name, address = _checked_name_and_address(phone, full_name, address)
    national_id = validate_national_id(national_id)
    validate_birth_date(birth_date)
    areas = validate_areas(areas)
    skills = validate_skills(skills)
    weekly_hours = validate_weekly_hours(weekly_hours)
    validate_password_for(password, full_name=full_name, phone=phone)
    photo = prepare_photo(photo)
    national_id_hash = keyed_hash(national_id)
    try:
        with transaction.atomic():
            # Two submissions racing past these checks are stopped by the unique columns
            # (phone, national_id_hash): the second insert fails and is reported below.
            if User.objects.filter(phone=phone).exists():
                raise ApplicationError(_(DUPLICATE_PHONE))
            if Provider.objects.filter(national_id_hash=national_id_hash).exists():
                raise ApplicationError({"national_id": _(DUPLICATE_NATIONAL_ID)})
            user = User.objects.create_user(
                phone=phone,
                password=password,
                full_name=full_name,
                role=Role.PROVIDER,
                preferred_language=language or translation.get_language() or "",
            )
            now = timezone.now()
            provider = Provider.objects.create(
                user=user,
                status=S.APPLIED,
                status_changed_at=now,
                national_id=national_id,
                national_id_hash=national_id_hash,
                birth_date=birth_date,
                address=address,
                work_history=(work_history or "").strip(),
                experience_years=max(years for _skill, years in skills),
            )
            save_working_profile(
                provider=provider, skills=skills, areas=areas, weekly_hours=weekly_hours
            )
            event = PROVIDER_LIFECYCLE.begin(
                provider, actor=user, reason=gettext_noop("Application submitted")
            )
            # Last, so a refusal above leaves no file behind.
            provider.photo.save(photo.name, photo, save=True)
            # The same message every later status change sends: where it stands, what next.
            after_commit(tell_status_changed, event.pk)
    except ApplicationError:
        raise
    except (ValidationError, IntegrityError) as error:
        raise _refusal_of_a_race(error) from error
    return provider


def _refusal_of_a_race(error: ValidationError | IntegrityError) -> ApplicationError:
    """A submission that passed the checks but lost a race for the phone or national ID."""
    if isinstance(error, IntegrityError):
        return ApplicationError(_("This phone number or national ID number is already registered."))
    # create_user's full_clean: the phone was taken between the check and the insert.
    if "phone" in getattr(error, "error_dict", {}):
        return ApplicationError(_(DUPLICATE_PHONE))
    return ApplicationError(error.messages)
