"""Appeals against a suspension (R-VET-7): one per suspension; a manager upholds or dismisses."""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.outbox import after_commit

from ..models import AppealDecision, Provider, ProviderEvent, SuspensionAppeal
from ..models import ProviderStatus as S
from ..notifications import tell_provider
from .lifecycle import ProviderTransitionError, reinstate_provider

# The statuses a provider can appeal from, and the events that put them there.
APPEALABLE_STATUSES = (S.SUSPENDED, S.REMOVAL_REVIEW)
APPEAL_MAX_LENGTH = 3000


class AppealError(ProviderTransitionError):
    """The appeal cannot be submitted or answered; the message says why."""


def latest_suspension(provider: Provider) -> ProviderEvent | None:
    """The newest event that suspended the provider or opened a removal review."""
    return provider.events.filter(to_status__in=APPEALABLE_STATUSES).order_by("-at", "-id").first()


def can_appeal(provider: Provider) -> bool:
    if provider.status not in APPEALABLE_STATUSES:
        return False
    suspension = latest_suspension(provider)
    return (
        suspension is not None
        and not SuspensionAppeal.objects.filter(suspension=suspension).exists()
    )


@transaction.atomic
def submit_appeal(*, provider: Provider, text: str) -> SuspensionAppeal:
    """Appeal against the current suspension (or removal review); once per suspension."""
    locked = Provider.objects.select_for_update().get(pk=provider.pk)
    text = (text or "").strip()
    if locked.status not in APPEALABLE_STATUSES:
        raise AppealError(_("You can appeal only while you are suspended."))
    suspension = latest_suspension(locked)
    if suspension is None:
        raise AppealError(_("You can appeal only while you are suspended."))
    if SuspensionAppeal.objects.filter(suspension=suspension).exists():
        raise AppealError(_("You have already appealed against this suspension."))
    if not text:
        raise AppealError({"text": _("Write why the suspension should be lifted.")})
    if len(text) > APPEAL_MAX_LENGTH:
        raise AppealError(
            {"text": _("Keep it under %(count)d characters.") % {"count": APPEAL_MAX_LENGTH}}
        )
    try:
        with transaction.atomic():
            return SuspensionAppeal.objects.create(
                provider=locked, suspension=suspension, text=text
            )
    except IntegrityError as error:
        raise AppealError(_("You have already appealed against this suspension.")) from error


@transaction.atomic
def answer_appeal(
    *, appeal: SuspensionAppeal, actor, decision: str, answer: str
) -> SuspensionAppeal:
    """Record the manager's answer. Upheld reinstates the provider, with the answer as the
    reason; dismissed changes nothing else. The provider is told either way."""
    locked = SuspensionAppeal.objects.select_for_update().get(pk=appeal.pk)
    answer = (answer or "").strip()
    if locked.answered_at is not None:
        raise AppealError(_("This appeal has already been answered."))
    if decision not in AppealDecision.values:
        raise AppealError(_("Choose whether the appeal is upheld or dismissed."))
    if not answer:
        raise AppealError(_("Write the answer the provider will read."))
    if decision == AppealDecision.UPHELD:
        # Refused (and nothing saved) if the provider is no longer suspended or under review.
        reinstate_provider(provider=locked.provider, actor=actor, reason=answer)
    locked.decision = decision
    locked.answer = answer
    locked.answered_by = actor
    locked.answered_at = timezone.now()
    locked.save(update_fields=["decision", "answer", "answered_by", "answered_at"])
    after_commit(_tell_provider, locked.pk)
    for name in ("decision", "answer", "answered_by", "answered_at"):
        setattr(appeal, name, getattr(locked, name))
    return appeal


def _tell_provider(appeal_id: int) -> None:
    appeal = SuspensionAppeal.objects.select_related("provider__user").get(pk=appeal_id)
    tell_provider(appeal.provider, "appeal_answered", appeal=appeal)
