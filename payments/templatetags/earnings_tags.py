"""{% earnings_card provider %}: what the provider is owed and the last jobs' earnings, on the
provider's dashboard (which matching renders without knowing about payments)."""

from django import template
from django.conf import settings

from ledger.money import from_minor

from ..models import EarningRecord
from ..selectors import earnings_balance

register = template.Library()


@register.inclusion_tag("payments/earnings_card.html")
def earnings_card(provider):
    currency = settings.CURRENCY
    return {
        "currency": currency,
        "balance": from_minor(earnings_balance(provider=provider, currency=currency), currency),
        "latest": EarningRecord.objects.filter(provider=provider, currency=currency)
        .select_related("order__service_type")
        .order_by("-created_at", "-id")[:3],
    }
