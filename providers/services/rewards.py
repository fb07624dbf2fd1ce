"""Rewards for excellent work (R-MAT-4): while one runs, matching ranks the provider higher.

Each reward is a row kept as the audit: who gave it, why, from when until when. Ending one early
sets its end; nothing is deleted. Suspended or removed providers are never matched at all, so a
reward never brings them back.
"""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Provider, ProviderReward
from ..models.core import VETTED_STATUSES


class RewardError(ValidationError):
    pass


def active_rewards(*, at=None):
    at = at or timezone.now()
    return ProviderReward.objects.filter(starts__lte=at).filter(
        Q(ends__isnull=True) | Q(ends__gt=at)
    )


@transaction.atomic
def reward_provider(*, provider: Provider, actor, reason: str, days: int | None = 30):
    """Give the provider priority in matching for `days` days (None: until ended)."""
    reason = reason.strip()
    if not reason:
        raise RewardError(_("Say why the provider is rewarded."))
    if days is not None and days < 1:
        raise RewardError(_("A reward lasts at least one day."))
    provider = Provider.objects.select_for_update().get(pk=provider.pk)
    if provider.status not in VETTED_STATUSES:
        raise RewardError(_("Only a provider who works with us can be rewarded."))
    if active_rewards().filter(provider=provider).exists():
        raise RewardError(_("This provider already has a running reward."))
    now = timezone.now()
    return ProviderReward.objects.create(
        provider=provider,
        reason=reason,
        starts=now,
        ends=now + timedelta(days=days) if days else None,
        created_by=actor,
    )


@transaction.atomic
def end_reward(*, provider: Provider, actor, reason: str) -> int:
    """End the provider's running reward now. Returns how many were ended (0 or 1)."""
    reason = reason.strip()
    if not reason:
        raise RewardError(_("Say why the reward ends."))
    now = timezone.now()
    ended = 0
    for reward in active_rewards(at=now).select_for_update().filter(provider=provider):
        reward.ends = max(now, reward.starts)
        reward.reason = f"{reward.reason}\n— {_('Ended by %(name)s') % {'name': actor}}: {reason}"
        reward.save(update_fields=["ends", "reason"])
        ended += 1
    return ended
