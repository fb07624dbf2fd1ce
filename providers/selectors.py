from .models import Provider, ProviderStatus


def bookable_providers():
    """Providers who may receive offers: active ones only (never suspended or removed)."""
    return Provider.objects.filter(status=ProviderStatus.ACTIVE, user__is_active=True)
