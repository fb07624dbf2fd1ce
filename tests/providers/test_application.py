"""The public application (R-VET-1) and the applicant's status page."""

import io
import re
from datetime import date, time, timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from accounts.models import Role, User
from core.crypto import decrypt_bytes, keyed_hash
from providers.models import (
    Interview,
    Provider,
    ProviderEvent,
    ProviderSkill,
    ProviderStatus,
    WorkingHours,
)
from providers.services.application import (
    ApplicationError,
    iranian_national_code_is_valid,
    submit_application,
    validate_birth_date,
    validate_national_id,
)
from providers.stages import FUNNEL, NEXT_STEP
from tests.factories import (
    PASSWORD,
    AreaFactory,
    CustomerFactory,
    OperatorFactory,
    SkillFactory,
    UserFactory,
)

from .application_factories import (
    NATIONAL_ID,
    OTHER_NATIONAL_ID,
    PHONE,
    applicant,
    confirm_phone,
    gif,
    jpeg_with_exif,
    noisy_png,
    png,
    png_header_claiming,
    record,
    upload,
)

pytestmark = pytest.mark.django_db

S = ProviderStatus


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def catalogue(db):
    cleaning = SkillFactory(code="home-cleaning", name="Home cleaning")
    care = SkillFactory(code="elderly-care", name="Elderly care")
    north = AreaFactory(code="north", name="North district")
    south = AreaFactory(code="south", name="South district")
    return {"cleaning": cleaning, "care": care, "north": north, "south": south}


@pytest.fixture
def verified(client, django_capture_on_commit_callbacks):
    confirm_phone(client, django_capture_on_commit_callbacks)
    return client


def years_ago(years: int, days: int = 0) -> date:
    today = timezone.localdate()
    return today.replace(year=today.year - years) - timedelta(days=days)


def form_data(catalogue, /, **overrides):
    data = {
        "full_name": "Maryam  Ahmadi ",
        "national_id": "006-774982-8",
        "birth_date": years_ago(30).isoformat(),
        "address": "12 Valiasr Street, Tehran",
        "areas": [catalogue["north"].pk, catalogue["south"].pk],
        f"skill_{catalogue['cleaning'].pk}": "4",
        f"skill_{catalogue['care'].pk}": "",
        "work_history": "Cleaned offices for four years.",
        "saturday_from": "08:00",
        "saturday_until": "16:00",
        "monday_from": "09:30",
        "monday_until": "13:00",
        "photo": upload(jpeg_with_exif()),
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def nothing_saved(media_root):
    assert Provider.objects.count() == 0
    assert ProviderEvent.objects.count() == 0
    assert ProviderSkill.objects.count() == 0
    assert WorkingHours.objects.count() == 0
    assert not User.objects.filter(phone=PHONE).exists()
    assert not media_root.exists() or not any(p.is_file() for p in media_root.rglob("*"))


# The happy path --------------------------------------------------------------------------------


@pytest.mark.requirement("R-VET-1", "R-SEC-2")
def test_an_applicant_applies_and_lands_on_the_status_page(
    verified, catalogue, sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = verified.post(reverse("providers:apply_details"), form_data(catalogue))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert response["Location"] == reverse("providers:application")

    user = User.objects.get(phone=PHONE)
    assert user.role == Role.PROVIDER
    assert user.full_name == "Maryam Ahmadi"
    assert user.check_password(PASSWORD)
    assert user.preferred_language == "en"
    provider = Provider.objects.get(user=user)
    assert provider.status == S.APPLIED
    assert provider.status_changed_at is not None
    assert provider.vetting_completed_at is None
    assert provider.national_id == NATIONAL_ID  # normalised: no dashes
    assert provider.national_id_hash == keyed_hash(NATIONAL_ID)
    assert provider.birth_date == years_ago(30)
    assert provider.address == "12 Valiasr Street, Tehran"
    assert provider.work_history == "Cleaned offices for four years."
    assert provider.experience_years == 4
    assert [(s.skill.code, s.years_of_experience) for s in provider.skill_levels.all()] == [
        ("home-cleaning", 4)
    ]
    assert sorted(a.code for a in provider.areas.all()) == ["north", "south"]
    assert [(h.weekday, h.starts, h.ends) for h in provider.working_hours.all()] == [
        (0, time(9, 30), time(13)),
        (5, time(8), time(16)),
    ]
    event = ProviderEvent.objects.get(provider=provider)
    assert (event.from_status, event.to_status, event.actor) == ("", S.APPLIED, user)
    assert event.reason == "Application submitted"
    # The applicant is told where the application stands.
    assert sms_outbox[-1] == {
        "to": PHONE,
        "text": f"Your application: Applied. {NEXT_STEP[S.APPLIED]}",
    }
    # Logged in, and the phone step is over.
    assert "provider_application" not in verified.session
    page = verified.get(reverse("providers:application"))
    assert page.status_code == 200
    assert page.context["provider"] == provider


@pytest.mark.requirement("R-VET-1", "R-SEC-1")
def test_the_national_id_is_stored_encrypted(verified, catalogue):
    verified.post(reverse("providers:apply_details"), form_data(catalogue))
    provider = Provider.objects.get()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT national_id, national_id_hash FROM providers_provider WHERE id = %s",
            [provider.pk],
        )
        raw, raw_hash = cursor.fetchone()
    assert raw != NATIONAL_ID
    assert NATIONAL_ID not in raw
    assert decrypt_bytes(raw.encode()).decode() == NATIONAL_ID
    assert NATIONAL_ID not in raw_hash
    assert raw_hash == keyed_hash(NATIONAL_ID)


@pytest.mark.requirement("R-VET-1", "R-SEC-1")
def test_the_saved_photo_is_a_jpeg_without_exif(verified, catalogue):
    original = Image.open(io.BytesIO(jpeg_with_exif()))
    assert original.getexif()  # the upload does carry metadata
    verified.post(reverse("providers:apply_details"), form_data(catalogue))
    provider = Provider.objects.get()
    assert provider.photo.name.startswith("provider-photos/")
    assert provider.photo.name.endswith(".jpg")
    with provider.photo.open("rb") as stored:
        image = Image.open(io.BytesIO(stored.read()))
    assert image.format == "JPEG"
    assert image.size == (64, 48)
    assert not image.getexif()
    assert "exif" not in image.info


@pytest.mark.requirement("R-VET-1")
def test_a_png_with_transparency_is_accepted_and_saved_as_jpeg(verified, catalogue):
    data = form_data(catalogue, photo=upload(png(), "me.png", "image/png"))
    response = verified.post(reverse("providers:apply_details"), data)
    assert response.status_code == 302
    with Provider.objects.get().photo.open("rb") as stored:
        assert Image.open(io.BytesIO(stored.read())).format == "JPEG"


@pytest.mark.requirement("R-VET-1", "R-I18N-1")
def test_persian_applicant_gets_persian_as_preferred_language(
    client, catalogue, django_capture_on_commit_callbacks
):
    client.post(reverse("set_language"), {"language": "fa", "next": "/"})
    confirm_phone(client, django_capture_on_commit_callbacks)
    page = client.get(reverse("providers:apply_details"))
    assert '<html lang="fa" dir="rtl">' in page.content.decode()
    # The Persian week starts on Saturday.
    assert list(page.context["form"].weekdays)[:2] == [5, 6]
    persian_id = NATIONAL_ID.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    response = client.post(
        reverse("providers:apply_details"), form_data(catalogue, national_id=persian_id)
    )
    assert response.status_code == 302
    user = User.objects.get(phone=PHONE)
    assert user.preferred_language == "fa"
    assert user.provider.national_id == NATIONAL_ID


# Bad input ------------------------------------------------------------------------------------


def _all_skills_empty(catalogue):
    return {f"skill_{catalogue['cleaning'].pk}": "", f"skill_{catalogue['care'].pk}": ""}


BAD_INPUT = [
    ("bad checksum", {"national_id": "0067749827"}, "This national code is not valid."),
    ("short id", {"national_id": "12345"}, "A national code has exactly 10 digits."),
    ("same digits", {"national_id": "1111111111"}, "This national code is not valid."),
    ("under 18", {"birth_date": "UNDER18"}, "You must be at least 18 years old to apply."),
    ("over 70", {"birth_date": "OVER70"}, "We take applicants up to 70 years old."),
    ("no skill", "NO_SKILL", "Choose at least one skill"),
    ("negative years", "NEGATIVE_YEARS", "greater than or equal to 0"),
    ("no area", {"areas": []}, "Choose at least one area where you can work."),
    (
        "no availability",
        {"saturday_from": "", "saturday_until": "", "monday_from": "", "monday_until": ""},
        "Give the hours you can work on at least one day of the week.",
    ),
    (
        "end before start",
        {"monday_from": "14:00", "monday_until": "09:00"},
        "On Monday the end must be after the start.",
    ),
    ("only a start", {"monday_until": ""}, "Give both times for Monday, or neither."),
    ("gif photo", {"photo": "GIF"}, "Send the photo as a JPEG or PNG picture."),
    ("renamed executable", {"photo": "EXE"}, "Send the photo as a JPEG or PNG picture."),
    ("no photo", {"photo": None}, "This field is required."),
    ("passwords differ", {"password2": "another-password-77"}, "The two passwords do not match."),
    ("weak password", {"password1": "123", "password2": "123"}, "This password is too short."),
    ("no name", {"full_name": "  "}, "This field is required."),
]


def _apply_overrides(catalogue, overrides):
    if overrides == "NO_SKILL":
        return _all_skills_empty(catalogue)
    if overrides == "NEGATIVE_YEARS":
        return {f"skill_{catalogue['cleaning'].pk}": "-2"}
    resolved = dict(overrides)
    if resolved.get("birth_date") == "UNDER18":
        resolved["birth_date"] = (years_ago(18) + timedelta(days=1)).isoformat()
    if resolved.get("birth_date") == "OVER70":
        resolved["birth_date"] = years_ago(71).isoformat()
    if resolved.get("photo") == "GIF":
        resolved["photo"] = upload(gif(), "me.gif", "image/gif")
    if resolved.get("photo") == "EXE":
        resolved["photo"] = upload(b"MZ\x90\x00\x03" + b"\x00" * 400, "me.jpg", "image/jpeg")
    return resolved


@pytest.mark.requirement("R-VET-1")
@pytest.mark.parametrize(("case", "overrides", "message"), BAD_INPUT, ids=[c[0] for c in BAD_INPUT])
def test_bad_input_gets_a_clear_message_and_saves_nothing(
    verified, catalogue, sms_outbox, _media, case, overrides, message
):
    sent_before = len(sms_outbox)
    data = form_data(catalogue, **_apply_overrides(catalogue, overrides))
    response = verified.post(reverse("providers:apply_details"), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    nothing_saved(_media)
    assert len(sms_outbox) == sent_before


@pytest.mark.requirement("R-VET-1", "R-SEC-1")
def test_an_oversize_photo_is_refused(verified, catalogue, settings, _media):
    settings.UPLOAD_MAX_BYTES = 2 * 1024 * 1024
    big = noisy_png((1000, 1000))  # about 3 MB of incompressible pixels
    assert len(big) > settings.UPLOAD_MAX_BYTES
    data = form_data(catalogue, photo=upload(big, "me.png", "image/png"))
    response = verified.post(reverse("providers:apply_details"), data)
    assert "The photo is too large: at most 2 MB." in response.content.decode()
    nothing_saved(_media)


@pytest.mark.requirement("R-VET-1", "R-SEC-1")
@pytest.mark.parametrize(
    ("width", "height"),
    [
        (50_000, 50_000),  # Pillow raises DecompressionBombError on opening
        (10_000, 10_000),  # above Pillow's warning limit: the warning is a refusal too
        (7_000, 7_000),  # under Pillow's limits, over UPLOAD_MAX_PIXELS (40 million)
    ],
)
def test_a_decompression_bomb_is_refused(verified, catalogue, settings, _media, width, height):
    settings.UPLOAD_MAX_PIXELS = 40_000_000
    bomb = png_header_claiming(width, height)
    assert len(bomb) < 1000
    data = form_data(catalogue, photo=upload(bomb, "me.png", "image/png"))
    response = verified.post(reverse("providers:apply_details"), data)
    assert "The photo has too many pixels. Send a smaller picture." in response.content.decode()
    nothing_saved(_media)


@pytest.mark.requirement("R-VET-1")
def test_a_phone_with_an_account_gets_the_same_answer_and_an_sms_saying_so_but_no_code(
    client, sms_outbox, django_capture_on_commit_callbacks
):
    CustomerFactory(phone=PHONE)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("providers:apply"), {"phone": "09121110001"}, follow=True)
    # The page answers as for a new number: it never says whether the number has an account.
    assert response.redirect_chain[-1][0] == reverse("providers:apply_verify")
    assert "We sent a code by SMS to" in response.content.decode()
    # The owner is told by SMS, with no code: nobody else can go on with their number.
    [sms] = sms_outbox
    assert sms["to"] == PHONE
    assert "which has one already" in sms["text"]
    assert not re.search(r"\d{6}", sms["text"])
    for code in ("000000", "123456"):
        client.post(reverse("providers:apply_verify"), {"code": code})
    assert "verified_at" not in client.session["provider_application"]


@pytest.mark.requirement("R-VET-1")
def test_a_phone_taken_while_filling_in_the_form_is_refused_and_nothing_saved(
    verified, catalogue, _media
):
    UserFactory(phone=PHONE, full_name="Quick Other")
    response = verified.post(reverse("providers:apply_details"), form_data(catalogue))
    assert response.status_code == 200
    assert "An account with this phone number already exists." in response.content.decode()
    assert Provider.objects.count() == 0
    assert ProviderEvent.objects.count() == 0
    assert User.objects.get(phone=PHONE).full_name == "Quick Other"
    assert not any(p.is_file() for p in _media.rglob("*")) if _media.exists() else True


@pytest.mark.requirement("R-VET-1", "R-SEC-1")
def test_a_duplicate_national_id_is_refused_and_nothing_saved(verified, catalogue, _media):
    earlier = applicant(national_id=NATIONAL_ID, national_id_hash=keyed_hash(NATIONAL_ID))
    response = verified.post(
        reverse("providers:apply_details"),
        form_data(catalogue, national_id="0067 7498 28"),  # written differently, same number
    )
    assert response.status_code == 200
    assert (
        "An application with this national ID number already exists." in response.content.decode()
    )
    assert list(Provider.objects.all()) == [earlier]
    assert not User.objects.filter(phone=PHONE).exists()
    assert ProviderEvent.objects.count() == 0


@pytest.mark.requirement("R-VET-1", "R-SEC-1")
def test_the_service_refuses_a_phone_that_was_not_confirmed(catalogue):
    with pytest.raises(ApplicationError) as refused:
        submit_application(
            phone=PHONE,
            full_name="Maryam Ahmadi",
            national_id=NATIONAL_ID,
            birth_date=years_ago(30),
            address="12 Valiasr Street",
            areas=[catalogue["north"]],
            skills=[(catalogue["cleaning"], 2)],
            work_history="",
            weekly_hours=[(0, time(8), time(12))],
            photo=upload(jpeg_with_exif()),
            password=PASSWORD,
        )
    assert refused.value.messages == ["Confirm your phone number with the code we send you first."]
    assert User.objects.count() == 0
    assert Provider.objects.count() == 0


@pytest.mark.requirement("R-VET-1")
def test_the_service_refuses_an_area_that_is_not_served(
    catalogue, django_capture_on_commit_callbacks
):
    from accounts.services import send_phone_code, verify_phone_code

    from .application_factories import last_code

    with django_capture_on_commit_callbacks(execute=True):
        send_phone_code(phone=PHONE)
    verify_phone_code(phone=PHONE, code=last_code())
    closed = AreaFactory(code="far", name="Far away", is_active=False)
    with pytest.raises(ApplicationError) as refused:
        submit_application(
            phone=PHONE,
            full_name="Maryam Ahmadi",
            national_id=OTHER_NATIONAL_ID,
            birth_date=years_ago(30),
            address="12 Valiasr Street",
            areas=[closed],
            skills=[(catalogue["cleaning"], 2)],
            work_history="",
            weekly_hours=[(0, time(8), time(12))],
            photo=upload(jpeg_with_exif()),
            password=PASSWORD,
        )
    assert refused.value.message_dict == {
        "areas": ["We do not work in one of the areas you chose."]
    }
    assert Provider.objects.count() == 0


@pytest.mark.requirement("R-VET-1")
@pytest.mark.parametrize(
    ("code", "valid"),
    [
        ("0067749828", True),
        ("1234567891", True),  # remainder 1: the check digit is the remainder
        ("0013542419", True),
        ("0067749820", False),
        ("1234567890", False),
        ("0000000000", False),  # one repeated digit passes the sum but is never issued
        ("123456789", False),
        ("12345678901", False),
        ("12345A7891", False),
    ],
)
def test_iranian_national_code_checksum(code, valid):
    assert iranian_national_code_is_valid(code) is valid


@pytest.mark.requirement("R-VET-1", "R-I18N-1")
def test_outside_iran_an_id_is_5_to_20_letters_or_digits():
    assert validate_national_id("ab-12 345", region="RU") == "AB12345"
    assert validate_national_id("X" * 20, region="CN") == "X" * 20
    for bad in ("AB12", "X" * 21, "AB12$45"):
        with pytest.raises(ApplicationError) as refused:
            validate_national_id(bad, region="RU")
        assert refused.value.message_dict == {
            "national_id": ["An ID number has 5 to 20 letters or digits."]
        }


@pytest.mark.requirement("R-VET-1")
def test_age_limits_are_18_and_70_inclusive():
    today = date(2025, 6, 15)
    assert validate_birth_date(date(2007, 6, 15), today=today)  # 18 today
    assert validate_birth_date(date(1954, 6, 16), today=today)  # 70 until tomorrow
    with pytest.raises(ApplicationError):
        validate_birth_date(date(2007, 6, 16), today=today)  # 18 tomorrow
    with pytest.raises(ApplicationError):
        validate_birth_date(date(1954, 6, 15), today=today)  # 71 today
    with pytest.raises(ApplicationError):
        validate_birth_date(date(2030, 1, 1), today=today)


@pytest.mark.requirement("R-VET-1")
def test_a_logged_in_user_is_not_shown_the_application_form(client):
    provider = applicant()
    client.force_login(provider.user)
    assert client.get(reverse("providers:apply"))["Location"] == reverse("providers:application")
    client.force_login(CustomerFactory())
    assert client.get(reverse("providers:apply"))["Location"] == reverse("accounts:home_for_user")


# The status page ------------------------------------------------------------------------------

PATHS = {
    S.APPLIED: ["", S.APPLIED],
    S.SCREENED: ["", S.APPLIED, S.SCREENED],
    S.INTERVIEW_SCHEDULED: ["", S.APPLIED, S.SCREENED, S.INTERVIEW_SCHEDULED],
    S.INTERVIEWED: ["", S.APPLIED, S.SCREENED, S.INTERVIEW_SCHEDULED, S.INTERVIEWED],
    S.IDENTITY_VERIFIED: [
        "",
        S.APPLIED,
        S.SCREENED,
        S.INTERVIEW_SCHEDULED,
        S.INTERVIEWED,
        S.IDENTITY_VERIFIED,
    ],
    S.IN_TRAINING: ["", *FUNNEL[:6]],
    S.UNDER_REVIEW: ["", *FUNNEL[:6], S.UNDER_REVIEW],
    S.COMMITMENT_SIGNED: ["", *FUNNEL[:7]],
    S.ACTIVE: ["", *FUNNEL],
    S.SUSPENDED: ["", *FUNNEL, S.SUSPENDED],
    S.PROBATION: ["", *FUNNEL, S.SUSPENDED, S.PROBATION],
    S.REMOVAL_REVIEW: ["", *FUNNEL, S.SUSPENDED, S.PROBATION, S.REMOVAL_REVIEW],
    S.REMOVED: ["", *FUNNEL, S.REMOVED],
    S.REJECTED: ["", S.APPLIED, S.SCREENED, S.INTERVIEW_SCHEDULED, S.REJECTED],
    S.WITHDRAWN: ["", S.APPLIED, S.WITHDRAWN],
}

# (done, current or stopped stage, its state) for each status.
EXPECTED_PROGRESS = {
    S.APPLIED: (0, S.APPLIED, "current"),
    S.SCREENED: (1, S.SCREENED, "current"),
    S.INTERVIEW_SCHEDULED: (2, S.INTERVIEW_SCHEDULED, "current"),
    S.INTERVIEWED: (3, S.INTERVIEWED, "current"),
    S.IDENTITY_VERIFIED: (4, S.IDENTITY_VERIFIED, "current"),
    S.IN_TRAINING: (5, S.IN_TRAINING, "current"),
    S.UNDER_REVIEW: (5, S.IN_TRAINING, "current"),
    S.COMMITMENT_SIGNED: (6, S.COMMITMENT_SIGNED, "current"),
    S.ACTIVE: (7, S.ACTIVE, "current"),
    S.SUSPENDED: (8, None, None),
    S.PROBATION: (8, None, None),
    S.REMOVAL_REVIEW: (8, None, None),
    S.REMOVED: (8, None, None),
    S.REJECTED: (2, S.INTERVIEW_SCHEDULED, "stopped"),
    S.WITHDRAWN: (0, S.APPLIED, "stopped"),
}

CAN_WITHDRAW = {
    S.APPLIED,
    S.SCREENED,
    S.INTERVIEW_SCHEDULED,
    S.INTERVIEWED,
    S.IDENTITY_VERIFIED,
    S.IN_TRAINING,
    S.COMMITMENT_SIGNED,
    S.UNDER_REVIEW,
}


@pytest.mark.requirement("R-VET-1", "R-SEC-2")
@pytest.mark.parametrize("status", list(PATHS))
def test_the_status_page_shows_the_stage_next_step_progress_and_history(client, status):
    provider = applicant(status)
    record(provider, *PATHS[status])
    client.force_login(provider.user)
    response = client.get(reverse("providers:application"))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<span class="status {status}" id="application-status">{S(status).label}</span>' in html
    assert str(NEXT_STEP[status]).replace("'", "&#x27;") in html

    done, stage, state = EXPECTED_PROGRESS[status]
    progress = response.context["progress"]
    assert [p["status"] for p in progress] == FUNNEL
    assert [p["state"] for p in progress[:done]] == ["done"] * done
    if stage is not None:
        assert progress[done]["status"] == stage
        assert progress[done]["state"] == state
        assert all(p["state"] == "todo" for p in progress[done + 1 :])

    events = response.context["events"]
    assert len(events) == len(PATHS[status]) - 1
    for event in events:
        assert event.reason in html
    assert ('id="withdraw"' in html) is (status in CAN_WITHDRAW)


@pytest.mark.requirement("R-VET-1")
def test_the_status_page_has_an_empty_history_state_and_no_interview_block(client):
    provider = applicant()
    client.force_login(provider.user)
    html = client.get(reverse("providers:application")).content.decode()
    assert "Nothing has happened yet." in html
    assert 'id="interview"' not in html


@pytest.mark.requirement("R-VET-1", "R-VET-3")
def test_the_status_page_shows_a_scheduled_interview(client):
    provider = applicant(S.INTERVIEW_SCHEDULED)
    interviewer = OperatorFactory(full_name="Ida Interviewer")
    starts = timezone.now() + timedelta(days=2)
    Interview.objects.create(
        provider=provider,
        interviewer=interviewer,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=45),
        location="Office, 3 Azadi Square",
        scheduled_by=interviewer,
    )
    client.force_login(provider.user)
    response = client.get(reverse("providers:application"))
    assert response.context["interview"].location == "Office, 3 Azadi Square"
    assert "Office, 3 Azadi Square" in response.content.decode()


@pytest.mark.requirement("R-VET-1")
def test_the_status_page_needs_a_provider_login(client):
    response = client.get(reverse("providers:application"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    client.force_login(CustomerFactory())
    assert client.get(reverse("providers:application")).status_code == 403


@pytest.mark.requirement("R-VET-1")
@pytest.mark.parametrize(
    ("status", "lands_on"),
    [
        (S.APPLIED, "providers:application"),
        (S.IN_TRAINING, "providers:application"),
        (S.SUSPENDED, "providers:application"),
        (S.ACTIVE, "matching:dashboard"),
        (S.PROBATION, "matching:dashboard"),
    ],
)
def test_after_login_applicants_land_on_their_status_page(client, status, lands_on):
    client.force_login(applicant(status).user)
    response = client.get(reverse("accounts:home_for_user"))
    assert response["Location"] == reverse(lands_on)


@pytest.mark.requirement("R-VET-1")
def test_the_dashboard_links_to_the_status_page(client):
    client.force_login(applicant(S.ACTIVE).user)
    html = client.get(reverse("matching:dashboard")).content.decode()
    assert f'href="{reverse("providers:application")}"' in html


# Withdrawing -----------------------------------------------------------------------------------


@pytest.mark.requirement("R-VET-1", "R-SEC-2")
def test_an_applicant_withdraws_after_confirming(
    client, sms_outbox, django_capture_on_commit_callbacks
):
    provider = applicant(S.SCREENED)
    client.force_login(provider.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("providers:application_withdraw"), {"confirm": "on", "note": ""}
        )
    assert response["Location"] == reverse("providers:application")
    provider.refresh_from_db()
    assert provider.status == S.WITHDRAWN
    event = provider.events.get()
    assert (event.from_status, event.to_status, event.actor) == (
        S.SCREENED,
        S.WITHDRAWN,
        provider.user,
    )
    assert event.reason == "Withdrawn by the applicant"
    assert sms_outbox[-1]["text"] == f"Your application: Withdrawn. {NEXT_STEP[S.WITHDRAWN]}"


@pytest.mark.requirement("R-VET-1")
def test_withdrawing_without_confirming_changes_nothing(client):
    provider = applicant(S.APPLIED)
    client.force_login(provider.user)
    response = client.post(reverse("providers:application_withdraw"), {"note": "bye"}, follow=True)
    assert "Tick the box to confirm that you want to withdraw." in response.content.decode()
    provider.refresh_from_db()
    assert provider.status == S.APPLIED
    assert ProviderEvent.objects.count() == 0


@pytest.mark.requirement("R-VET-1", "R-VET-6")
@pytest.mark.parametrize("status", [S.ACTIVE, S.SUSPENDED, S.REJECTED])
def test_withdrawing_is_refused_once_the_application_is_over(client, sms_outbox, status):
    provider = applicant(status)
    client.force_login(provider.user)
    response = client.post(
        reverse("providers:application_withdraw"), {"confirm": "on"}, follow=True
    )
    label = S(status).label.lower()
    assert f"A provider who is {label} cannot become withdrawn." in response.content.decode()
    provider.refresh_from_db()
    assert provider.status == status
    assert ProviderEvent.objects.count() == 0
    assert sms_outbox == []
