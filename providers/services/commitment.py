"""The written commitment to quality (R-VET-5): a versioned text, signed electronically once.

What is signed is the *document* of a CommitmentText: its title, a blank line, then its body,
exactly as stored (no change of line endings or spaces), encoded as UTF-8:

    document = f"{title}\\n\\n{body}"
    text_sha256 = sha256(document.encode("utf-8")).hexdigest()

The signing page shows that same string (white space kept), so the hash is the hash of what the
applicant read. A signature records the text version, the typed name, the time, the IP address
and the browser; it is never changed afterwards (the model refuses a second save and, on
PostgreSQL, a trigger refuses UPDATE and DELETE).
"""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.signing import text_sha256, typed_name_refusal

from ..models import CommitmentSignature, CommitmentText, Course, Enrollment, Provider
from ..models import ProviderStatus as S
from .lifecycle import ProviderTransitionError, transition


class CommitmentError(ProviderTransitionError):
    """The commitment cannot be signed; the message says why."""


def commitment_sha256(text: CommitmentText) -> str:
    """The hash of the exact string shown for signing: title, blank line, body."""
    return text_sha256(text.document)


def current_commitment_text(language: str | None) -> CommitmentText | None:
    """The newest version in `language`; else the newest in English; else the newest of any."""
    texts = CommitmentText.objects.order_by("-version", "pk")
    for code in (language, "en"):
        if code:
            found = texts.filter(language=code).first()
            if found is not None:
                return found
    return texts.first()


def _required_courses_passed(provider: Provider) -> bool:
    passed = Enrollment.objects.filter(provider=provider, passed=True).values("course")
    return (
        not Course.objects.filter(required_for_activation=True, is_retraining=False)
        .exclude(pk__in=passed)
        .exists()
    )


def can_sign_commitment(provider: Provider) -> bool:
    """In training, every required onboarding course passed, and not signed yet."""
    return (
        provider.status == S.IN_TRAINING
        and not CommitmentSignature.objects.filter(provider=provider).exists()
        and _required_courses_passed(provider)
    )


@transaction.atomic
def sign_commitment(
    *,
    provider: Provider,
    typed_name: str,
    ip_address: str | None,
    user_agent: str,
    language: str | None = None,
    text: CommitmentText | None = None,
) -> CommitmentSignature:
    """Sign the current commitment text: IN_TRAINING -> COMMITMENT_SIGNED.

    `language` picks the text (default: the applicant's preferred language). `text`, when given,
    is the version the applicant was shown; signing is refused if it is no longer the current
    one, so nobody signs a text they did not read.
    """
    locked = Provider.objects.select_for_update().select_related("user").get(pk=provider.pk)
    if CommitmentSignature.objects.filter(provider=locked).exists():
        raise CommitmentError(_("You have already signed the commitment."))
    if locked.status != S.IN_TRAINING or not _required_courses_passed(locked):
        raise CommitmentError(
            _("You can sign the commitment once you have passed every training course.")
        )
    current = current_commitment_text(
        language or locked.user.preferred_language or settings.LANGUAGE_CODE
    )
    if current is None:
        raise CommitmentError(_("The commitment text is not published yet."))
    if text is not None and text.pk != current.pk:
        raise CommitmentError(
            _("The commitment text has changed. Read the new version before signing.")
        )
    refusal = typed_name_refusal(typed_name, locked.user.full_name)
    if refusal:
        raise CommitmentError(refusal)
    try:
        with transaction.atomic():
            signature = CommitmentSignature.objects.create(
                provider=locked,
                text=current,
                text_sha256=commitment_sha256(current),
                **CommitmentSignature.evidence(
                    typed_name=typed_name, ip_address=ip_address, user_agent=user_agent
                ),
            )
    except IntegrityError as error:
        raise CommitmentError(_("You have already signed the commitment.")) from error
    transition(
        provider=provider,
        to=S.COMMITMENT_SIGNED,
        actor=locked.user,
        reason=gettext_noop("Written commitment signed"),
    )
    return signature
