"""Provider lifecycle. The only code that assigns Provider.status."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role

from .models import Provider, ProviderEvent
from .models import ProviderStatus as S

ALLOWED_TRANSITIONS = {
    S.ACTIVE: {S.SUSPENDED, S.REMOVED},
    S.SUSPENDED: {S.ACTIVE, S.REMOVED},
    S.REMOVED: set(),
}


class ProviderTransitionError(ValidationError):
    pass


@transaction.atomic
def _transition(*, provider: Provider, to: str, actor, reason: str) -> Provider:
    if not reason or not reason.strip():
        raise ProviderTransitionError(_("A reason is required."))
    locked = Provider.objects.select_for_update().get(pk=provider.pk)
    if to not in ALLOWED_TRANSITIONS[locked.status]:
        raise ProviderTransitionError(
            _("A provider who is %(current)s cannot become %(target)s.")
            % {"current": locked.get_status_display(), "target": S(to).label}
        )
    from_status = locked.status
    locked.status = to
    locked.status_changed_at = timezone.now()
    locked.save(update_fields=["status", "status_changed_at"])
    ProviderEvent.objects.create(
        provider=locked, from_status=from_status, to_status=to, actor=actor, reason=reason.strip()
    )
    provider.status, provider.status_changed_at = locked.status, locked.status_changed_at
    return provider


def suspend_provider(*, provider: Provider, actor, reason: str) -> Provider:
    """Stop offers to the provider until an operator reinstates them."""
    return _transition(provider=provider, to=S.SUSPENDED, actor=actor, reason=reason)


def reinstate_provider(*, provider: Provider, actor, reason: str) -> Provider:
    return _transition(provider=provider, to=S.ACTIVE, actor=actor, reason=reason)


def remove_provider(*, provider: Provider, actor, reason: str) -> Provider:
    return _transition(provider=provider, to=S.REMOVED, actor=actor, reason=reason)


@transaction.atomic
def register_provider(
    *, user, skills, areas, weekly_hours, experience_years=0, actor=None, reason: str
) -> Provider:
    """Create an active provider profile (vetting stages are recorded elsewhere).

    `weekly_hours` is a list of (weekday, starts, ends) in local time.
    """
    if user.role != Role.PROVIDER:
        user.role = Role.PROVIDER
        user.save(update_fields=["role"])
    provider = Provider.objects.create(
        user=user,
        status=S.ACTIVE,
        experience_years=experience_years,
        status_changed_at=timezone.now(),
    )
    provider.skills.set(skills)
    provider.areas.set(areas)
    provider.working_hours.bulk_create(
        [
            provider.working_hours.model(provider=provider, weekday=day, starts=starts, ends=ends)
            for day, starts, ends in weekly_hours
        ]
    )
    ProviderEvent.objects.create(
        provider=provider, from_status="", to_status=S.ACTIVE, actor=actor, reason=reason
    )
    return provider
