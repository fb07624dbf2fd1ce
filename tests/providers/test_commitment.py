"""The written commitment (R-VET-5): signed once, by the typed name, over the exact text."""

import hashlib

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils.html import escape

from providers.models import (
    CommitmentSignature,
    CommitmentText,
    Course,
    Enrollment,
    ProviderEvent,
    ProviderStatus,
)
from providers.services.commitment import (
    CommitmentError,
    can_sign_commitment,
    current_commitment_text,
    sign_commitment,
)
from tests.factories import CustomerFactory

from .application_factories import applicant

pytestmark = pytest.mark.django_db

S = ProviderStatus
TITLE = "Commitment to quality"
BODY = "I arrive on time.\r\nI treat the customer's home with care & respect.\n\n  — Signed below"


def sha256_of(title, body):
    return hashlib.sha256(f"{title}\n\n{body}".encode()).hexdigest()


@pytest.fixture
def course(db):
    return Course.objects.create(code="technique", name="Cleaning technique", pass_mark=70)


@pytest.fixture
def texts(db):
    return {
        "en1": CommitmentText.objects.create(version=1, language="en", title="Old", body="Old"),
        "en2": CommitmentText.objects.create(version=2, language="en", title=TITLE, body=BODY),
        "fa1": CommitmentText.objects.create(
            version=1, language="fa", title="تعهدنامه کیفیت", body="من به موقع می‌رسم."
        ),
    }


@pytest.fixture
def trainee(course):
    provider = applicant(S.IN_TRAINING, user__full_name="Maryam Ahmadi")
    Enrollment.objects.create(provider=provider, course=course, score=88, passed=True)
    return provider


def sign(provider, **overrides):
    arguments = {
        "provider": provider,
        "typed_name": "Maryam Ahmadi",
        "ip_address": "203.0.113.7",
        "user_agent": "Mozilla/5.0",
        "language": "en",
    }
    arguments.update(overrides)
    return sign_commitment(**arguments)


def assert_unsigned(provider, status=S.IN_TRAINING):
    provider.refresh_from_db()
    assert provider.status == status
    assert CommitmentSignature.objects.count() == 0
    assert ProviderEvent.objects.filter(to_status=S.COMMITMENT_SIGNED).count() == 0


@pytest.mark.requirement("R-VET-5", "R-I18N-1")
def test_the_current_text_is_the_newest_in_the_language_then_english_then_any(texts):
    assert current_commitment_text("fa") == texts["fa1"]
    assert current_commitment_text("en") == texts["en2"]
    assert current_commitment_text("ru") == texts["en2"]
    CommitmentText.objects.filter(language="en").delete()
    assert current_commitment_text("ru") == texts["fa1"]
    CommitmentText.objects.all().delete()
    assert current_commitment_text("fa") is None


@pytest.mark.requirement("R-VET-5", "R-SEC-2")
def test_signing_records_the_exact_text_hash_and_moves_to_commitment_signed(
    trainee, texts, sms_outbox, django_capture_on_commit_callbacks
):
    assert can_sign_commitment(trainee) is True
    with django_capture_on_commit_callbacks(execute=True):
        signature = sign(trainee, typed_name="  maryam   AHMADI ", user_agent="x" * 500)
    signature.refresh_from_db()
    assert signature.text == texts["en2"]
    assert signature.text_sha256 == sha256_of(TITLE, BODY)
    assert signature.typed_name == "maryam AHMADI"
    assert str(signature.ip_address) == "203.0.113.7"
    assert signature.user_agent == "x" * 300
    assert signature.signed_at is not None
    trainee.refresh_from_db()
    assert trainee.status == S.COMMITMENT_SIGNED
    event = ProviderEvent.objects.get(provider=trainee)
    assert (event.from_status, event.to_status, event.actor) == (
        S.IN_TRAINING,
        S.COMMITMENT_SIGNED,
        trainee.user,
    )
    assert event.reason == "Written commitment signed"
    assert sms_outbox[-1]["text"].startswith("Your application: Commitment signed.")
    assert can_sign_commitment(trainee) is False


@pytest.mark.requirement("R-VET-5", "R-I18N-1")
def test_a_persian_name_matches_across_keyboard_variants(course, texts):
    provider = applicant(S.IN_TRAINING, user__full_name="علی رضایی")
    Enrollment.objects.create(provider=provider, course=course, score=90, passed=True)
    signature = sign(provider, typed_name="علي  رضايي", language="fa")  # Arabic yeh
    assert signature.text == texts["fa1"]
    assert signature.text_sha256 == sha256_of(texts["fa1"].title, texts["fa1"].body)


@pytest.mark.requirement("R-VET-5")
def test_signing_is_refused_before_every_required_course_is_passed(trainee, texts, course):
    other = Course.objects.create(code="manners", name="Customer care", pass_mark=70)
    Enrollment.objects.create(provider=trainee, course=other)  # not graded yet
    assert can_sign_commitment(trainee) is False
    with pytest.raises(CommitmentError) as refused:
        sign(trainee)
    assert refused.value.messages == [
        "You can sign the commitment once you have passed every training course."
    ]
    assert_unsigned(trainee)


@pytest.mark.requirement("R-VET-5")
@pytest.mark.parametrize("status", [S.INTERVIEWED, S.IDENTITY_VERIFIED, S.UNDER_REVIEW])
def test_signing_is_refused_outside_training(course, texts, status):
    provider = applicant(status, user__full_name="Maryam Ahmadi")
    Enrollment.objects.create(provider=provider, course=course, score=90, passed=True)
    assert can_sign_commitment(provider) is False
    with pytest.raises(CommitmentError):
        sign(provider)
    assert_unsigned(provider, status)


@pytest.mark.requirement("R-VET-5")
@pytest.mark.parametrize("typed", ["Maryam", "Maryam Ahmadi Jr", "", "Ahmadi Maryam"])
def test_signing_is_refused_with_a_wrong_name(trainee, texts, typed):
    with pytest.raises(CommitmentError) as refused:
        sign(trainee, typed_name=typed)
    assert refused.value.message_dict == {
        "typed_name": ["Type your full name exactly as it is on your account."]
    }
    assert_unsigned(trainee)


@pytest.mark.requirement("R-VET-5")
def test_signing_is_refused_without_a_published_text(trainee):
    with pytest.raises(CommitmentError) as refused:
        sign(trainee)
    assert refused.value.messages == ["The commitment text is not published yet."]
    assert_unsigned(trainee)


@pytest.mark.requirement("R-VET-5")
def test_a_text_replaced_while_reading_is_not_signed(trainee, texts):
    with pytest.raises(CommitmentError) as refused:
        sign(trainee, text=texts["en1"])
    assert refused.value.messages == [
        "The commitment text has changed. Read the new version before signing."
    ]
    assert_unsigned(trainee)


@pytest.mark.requirement("R-VET-5", "R-SEC-2")
def test_a_signature_is_immutable_and_a_second_signing_is_refused(trainee, texts):
    signature = sign(trainee)
    with pytest.raises(CommitmentError) as refused:
        sign(trainee)
    assert refused.value.messages == ["You have already signed the commitment."]
    signature.typed_name = "Someone else"
    with pytest.raises(ValueError, match="cannot be changed"):
        signature.save()
    stored = CommitmentSignature.objects.get()
    assert stored.typed_name == "Maryam Ahmadi"
    assert stored.text_sha256 == sha256_of(TITLE, BODY)
    assert ProviderEvent.objects.filter(to_status=S.COMMITMENT_SIGNED).count() == 1


@pytest.mark.requirement("R-VET-5", "R-SEC-2")
def test_postgresql_refuses_to_update_or_delete_a_signature(request, trainee, texts):
    if request.config.getoption("nomigrations"):
        pytest.skip("the immutability trigger is a migration; --nomigrations has none")
    if connection.vendor != "postgresql":
        pytest.skip("the trigger exists on PostgreSQL only")
    signature = sign(trainee)
    with pytest.raises(IntegrityError), transaction.atomic():
        CommitmentSignature.objects.filter(pk=signature.pk).update(typed_name="Someone else")
    with pytest.raises(IntegrityError), transaction.atomic():
        CommitmentSignature.objects.filter(pk=signature.pk).delete()
    assert CommitmentSignature.objects.get().typed_name == "Maryam Ahmadi"


# The page ----------------------------------------------------------------------------------------


@pytest.mark.requirement("R-VET-5")
def test_the_page_shows_the_text_and_signs_with_ip_and_browser(client, trainee, texts):
    client.force_login(trainee.user)
    page = client.get(reverse("providers:commitment"))
    html = page.content.decode()
    assert escape(f"{TITLE}\n\n{BODY}") in html  # exactly the hashed string, escaped for HTML
    assert 'name="typed_name"' in html
    response = client.post(
        reverse("providers:commitment"),
        {"typed_name": "Maryam Ahmadi", "agree": "on", "text": texts["en2"].pk},
        REMOTE_ADDR="198.51.100.4",
        HTTP_USER_AGENT="Mozilla/5.0 (Android 14; Mobile)",
    )
    assert response.status_code == 302
    signature = CommitmentSignature.objects.get()
    assert str(signature.ip_address) == "198.51.100.4"
    assert signature.user_agent == "Mozilla/5.0 (Android 14; Mobile)"

    html = client.get(reverse("providers:commitment")).content.decode()
    assert sha256_of(TITLE, BODY) in html
    assert "It cannot be changed." in html
    assert 'name="typed_name"' not in html  # read-only now

    again = client.post(
        reverse("providers:commitment"),
        {"typed_name": "Maryam Ahmadi", "agree": "on", "text": texts["en2"].pk},
        follow=True,
    )
    assert "You have already signed the commitment." in again.content.decode()
    assert CommitmentSignature.objects.count() == 1


@pytest.mark.requirement("R-VET-5", "R-I18N-1")
def test_the_page_shows_the_text_in_the_page_language(client, trainee, texts):
    client.force_login(trainee.user)
    page = client.get(reverse("providers:commitment"), HTTP_ACCEPT_LANGUAGE="fa")
    assert "تعهدنامه کیفیت" in page.content.decode()
    client.post(
        reverse("providers:commitment"),
        {"typed_name": "Maryam Ahmadi", "agree": "on", "text": texts["fa1"].pk},
        HTTP_ACCEPT_LANGUAGE="fa",
    )
    assert CommitmentSignature.objects.get().text == texts["fa1"]


@pytest.mark.requirement("R-VET-5")
@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"typed_name": "Maryam Ahmadi"}, "Tick the box to show that you agree."),
        ({"typed_name": "Sara", "agree": "on"}, "Type your full name exactly as it is"),
    ],
)
def test_the_page_refuses_a_missing_tick_or_a_wrong_name(client, trainee, texts, data, message):
    client.force_login(trainee.user)
    response = client.post(reverse("providers:commitment"), {**data, "text": texts["en2"].pk})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert_unsigned(trainee)


@pytest.mark.requirement("R-VET-5")
def test_the_page_before_training_is_passed_has_no_form(client, texts, course):
    provider = applicant(S.IN_TRAINING)
    client.force_login(provider.user)
    html = client.get(reverse("providers:commitment")).content.decode()
    assert "You can sign the commitment once you have passed every training course." in html
    assert 'name="typed_name"' not in html
    assert 'id="commitment-text"' not in html


@pytest.mark.requirement("R-VET-5")
def test_the_page_needs_a_provider(client):
    client.force_login(CustomerFactory())
    assert client.get(reverse("providers:commitment")).status_code == 403
