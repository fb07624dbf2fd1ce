"""A provider's working profile (R-VET-1, R-MAT-1): the skills they offer with their years of
experience, the areas they serve and their weekly working hours, saved together."""

from collections.abc import Iterable
from datetime import time

from ..models import Provider, ProviderSkill, ServiceArea, Skill, WorkingHours


def save_working_profile(
    *,
    provider: Provider,
    skills: Iterable[tuple[Skill, int]],
    areas: Iterable[ServiceArea],
    weekly_hours: Iterable[tuple[int, time, time]],
) -> None:
    """Save a new provider's profile: (skill, years) pairs, areas, (weekday, starts, ends)."""
    ProviderSkill.objects.bulk_create(
        [
            ProviderSkill(provider=provider, skill=skill, years_of_experience=years)
            for skill, years in skills
        ]
    )
    provider.areas.set(areas)
    WorkingHours.objects.bulk_create(
        [
            WorkingHours(provider=provider, weekday=day, starts=starts, ends=ends)
            for day, starts, ends in weekly_hours
        ]
    )
