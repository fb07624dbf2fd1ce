"""The one-time SMS code that proves an applicant's phone (R-VET-1)."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import PhoneVerification
from accounts.services import (
    PhoneVerificationError,
    phone_verified_since,
    send_phone_code,
    verify_phone_code,
)

from .application_factories import PHONE, PHONE_LOCAL, last_code

pytestmark = pytest.mark.django_db


def send(capture, phone=PHONE):
    with capture(execute=True):
        return send_phone_code(phone=phone)


@pytest.mark.requirement("R-VET-1", "R-SEC-1")
def test_a_six_digit_code_is_sent_by_sms_and_only_its_hash_is_stored(
    sms_outbox, django_capture_on_commit_callbacks, settings
):
    settings.PHONE_CODE_MINUTES = 10
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        verification = send_phone_code(phone=PHONE_LOCAL)
    assert sms_outbox == []  # sent only once the code is saved
    for callback in callbacks:
        callback()
    assert len(sms_outbox) == 1
    assert sms_outbox[0]["to"] == PHONE
    code = last_code()
    assert re.fullmatch(r"\d{6}", code)
    assert sms_outbox[0]["text"] == (
        f"Your Home services code is {code}. It expires in 10 minutes."
    )
    verification.refresh_from_db()
    assert str(verification.phone) == PHONE
    assert code not in verification.code_hash
    assert verification.attempts == 0
    assert verification.verified_at is None
    assert verification.expires_at - verification.created_at == pytest.approx(
        timedelta(minutes=10), abs=timedelta(seconds=1)
    )


@pytest.mark.requirement("R-VET-1")
def test_the_right_code_confirms_the_phone(django_capture_on_commit_callbacks):
    send(django_capture_on_commit_callbacks)
    verification = verify_phone_code(phone=PHONE, code=last_code())
    verification.refresh_from_db()
    assert verification.verified_at is not None
    assert verification.attempts == 0


@pytest.mark.requirement("R-VET-1", "R-I18N-1")
def test_a_code_typed_in_persian_digits_is_accepted(django_capture_on_commit_callbacks):
    send(django_capture_on_commit_callbacks)
    persian = last_code().translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    verification = verify_phone_code(phone="۰۹۱۲۱۱۱۰۰۰۱", code=persian)
    assert verification.verified_at is not None


@pytest.mark.requirement("R-VET-1")
def test_a_wrong_code_is_refused_and_counted(django_capture_on_commit_callbacks, settings):
    settings.PHONE_CODE_MAX_ATTEMPTS = 5
    send(django_capture_on_commit_callbacks)
    wrong = "000000" if last_code() != "000000" else "111111"
    with pytest.raises(PhoneVerificationError) as refused:
        verify_phone_code(phone=PHONE, code=wrong)
    assert refused.value.messages == ["That code is not right. You have 4 more tries."]
    verification = PhoneVerification.objects.get()
    assert verification.attempts == 1
    assert verification.verified_at is None


@pytest.mark.requirement("R-VET-1")
def test_an_expired_code_is_refused(django_capture_on_commit_callbacks, settings, time_machine):
    settings.PHONE_CODE_MINUTES = 10
    time_machine.move_to(timezone.now(), tick=False)
    send(django_capture_on_commit_callbacks)
    time_machine.shift(timedelta(minutes=10))
    with pytest.raises(PhoneVerificationError) as refused:
        verify_phone_code(phone=PHONE, code=last_code())
    assert refused.value.messages == ["This code has expired. Ask for a new code."]
    assert PhoneVerification.objects.get().verified_at is None


@pytest.mark.requirement("R-VET-1", "R-SEC-1")
def test_after_too_many_wrong_tries_even_the_right_code_needs_a_new_one(
    django_capture_on_commit_callbacks, settings
):
    settings.PHONE_CODE_MAX_ATTEMPTS = 3
    send(django_capture_on_commit_callbacks)
    code = last_code()
    wrong = "000000" if code != "000000" else "111111"
    messages = []
    for _ in range(3):
        with pytest.raises(PhoneVerificationError) as refused:
            verify_phone_code(phone=PHONE, code=wrong)
        messages.append(refused.value.messages[0])
    assert messages == [
        "That code is not right. You have 2 more tries.",
        "That code is not right. You have 1 more try.",
        "Too many wrong tries. Ask for a new code.",
    ]
    with pytest.raises(PhoneVerificationError) as refused:
        verify_phone_code(phone=PHONE, code=code)
    assert refused.value.messages == ["Too many wrong tries. Ask for a new code."]
    verification = PhoneVerification.objects.get()
    assert verification.attempts == 3
    assert verification.verified_at is None


@pytest.mark.requirement("R-VET-1")
def test_a_new_code_is_refused_within_the_resend_wait(
    django_capture_on_commit_callbacks, settings, sms_outbox, time_machine
):
    settings.PHONE_CODE_RESEND_SECONDS = 60
    time_machine.move_to(timezone.now(), tick=False)
    send(django_capture_on_commit_callbacks)
    time_machine.shift(timedelta(seconds=45))
    with pytest.raises(PhoneVerificationError) as refused:
        send(django_capture_on_commit_callbacks)
    assert refused.value.messages == [
        "A code was sent a moment ago. You can ask for a new one in 15 seconds."
    ]
    assert PhoneVerification.objects.count() == 1
    assert len(sms_outbox) == 1

    time_machine.shift(timedelta(seconds=15))
    send(django_capture_on_commit_callbacks)
    assert PhoneVerification.objects.count() == 2
    assert len(sms_outbox) == 2


@pytest.mark.requirement("R-VET-1")
def test_only_the_newest_code_counts(django_capture_on_commit_callbacks, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    send(django_capture_on_commit_callbacks)
    first = last_code()
    time_machine.shift(timedelta(minutes=2))
    send(django_capture_on_commit_callbacks)
    second = last_code()
    if first != second:
        with pytest.raises(PhoneVerificationError):
            verify_phone_code(phone=PHONE, code=first)
    assert verify_phone_code(phone=PHONE, code=second).verified_at is not None


@pytest.mark.requirement("R-VET-1")
def test_no_code_and_a_bad_number_get_clear_messages():
    with pytest.raises(PhoneVerificationError) as refused:
        verify_phone_code(phone=PHONE, code="123456")
    assert refused.value.messages == ["No code was sent to this number. Ask for a code."]
    with pytest.raises(PhoneVerificationError) as refused:
        send_phone_code(phone="12345")
    assert refused.value.messages == ["Enter a valid phone number."]
    assert PhoneVerification.objects.count() == 0


@pytest.mark.requirement("R-VET-1")
def test_a_used_code_cannot_be_replaced_by_a_guess(django_capture_on_commit_callbacks):
    send(django_capture_on_commit_callbacks)
    code = last_code()
    verify_phone_code(phone=PHONE, code=code)
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(PhoneVerificationError) as refused:
        verify_phone_code(phone=PHONE, code=wrong)
    assert refused.value.messages == ["This code was already used. Ask for a new code."]


# Through the pages -----------------------------------------------------------------------------


@pytest.mark.requirement("R-VET-1")
def test_the_apply_page_sends_a_code_and_the_verify_page_checks_it(
    client, django_capture_on_commit_callbacks, sms_outbox
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("providers:apply"), {"phone": PHONE_LOCAL})
    assert response.status_code == 302
    assert response["Location"] == reverse("providers:apply_verify")
    assert [m["to"] for m in sms_outbox] == [PHONE]

    page = client.get(reverse("providers:apply_verify"))
    assert PHONE in page.content.decode()

    response = client.post(reverse("providers:apply_verify"), {"code": "12"})
    assert "The code has 6 digits." in response.content.decode()
    assert PhoneVerification.objects.get().attempts == 0  # a typo in length is not a try

    response = client.post(reverse("providers:apply_verify"), {"code": last_code()})
    assert response.status_code == 302
    assert response["Location"] == reverse("providers:apply_details")
    assert client.session["provider_application"]["phone"] == PHONE
    assert client.session["provider_application"]["verified_at"]


@pytest.mark.requirement("R-VET-1")
def test_the_verify_page_shows_a_wrong_code_and_refuses_a_resend_too_soon(
    client, django_capture_on_commit_callbacks, sms_outbox
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("providers:apply"), {"phone": PHONE_LOCAL})
    wrong = "000000" if last_code() != "000000" else "111111"
    response = client.post(reverse("providers:apply_verify"), {"code": wrong})
    assert response.status_code == 200
    assert "That code is not right. You have 4 more tries." in response.content.decode()
    assert "provider_application" in client.session
    assert "verified_at" not in client.session["provider_application"]

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("providers:apply_verify"), {"resend": "1"}, follow=True)
    assert "You can ask for a new one in" in response.content.decode()
    assert len(sms_outbox) == 1
    assert PhoneVerification.objects.count() == 1


@pytest.mark.requirement("R-VET-1")
def test_asking_again_for_the_same_number_too_soon_elsewhere_is_refused_on_the_form(
    client, django_capture_on_commit_callbacks, sms_outbox
):
    with django_capture_on_commit_callbacks(execute=True):
        send_phone_code(phone=PHONE)  # e.g. from another browser
    response = client.post(reverse("providers:apply"), {"phone": PHONE_LOCAL})
    assert response.status_code == 200
    assert "A code was sent a moment ago." in response.content.decode()
    assert len(sms_outbox) == 1


@pytest.mark.requirement("R-VET-1")
def test_the_verify_and_details_steps_need_the_steps_before(client):
    response = client.get(reverse("providers:apply_verify"))
    assert response["Location"] == reverse("providers:apply")
    response = client.get(reverse("providers:apply_details"))
    assert response["Location"] == reverse("providers:apply")


@pytest.mark.requirement("R-VET-1")
def test_a_later_code_request_by_someone_else_does_not_undo_a_confirmation(
    django_capture_on_commit_callbacks, time_machine
):
    time_machine.move_to(timezone.now(), tick=False)
    started = timezone.now()
    send(django_capture_on_commit_callbacks)
    verify_phone_code(phone=PHONE, code=last_code())
    time_machine.shift(timedelta(minutes=5))
    send(django_capture_on_commit_callbacks)
    assert phone_verified_since(phone=PHONE_LOCAL, since=started) is True
    assert phone_verified_since(phone=PHONE, since=timezone.now()) is False
    assert phone_verified_since(phone="not a phone", since=started) is False


@pytest.mark.requirement("R-VET-1", "R-SEC-1")
def test_one_connection_cannot_send_codes_to_many_numbers(client, settings, sms_outbox):
    settings.PHONE_CODES_PER_IP_PER_HOUR = 3
    for n in range(3):
        response = client.post(reverse("providers:apply"), {"phone": f"0912300000{n}"})
        assert response.status_code == 302
    response = client.post(reverse("providers:apply"), {"phone": "09123000009"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many attempts. Please try again in" in response.content.decode()
    assert not PhoneVerification.objects.filter(phone="+989123000009").exists()
    assert PhoneVerification.objects.count() == 3
