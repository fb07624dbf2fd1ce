from .models import Provider
from .models.core import BOOKABLE_STATUSES


def bookable_providers():
    """Providers who may receive offers (R-VET-6): active or on probation, never anyone else."""
    return Provider.objects.filter(status__in=BOOKABLE_STATUSES, user__is_active=True)
