from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin

from .models import Offer, Recommendation


def candidates_link(order_id: int):
    return format_html(
        '<a href="{}">{}</a>',
        reverse("matching:candidates", args=[order_id]),
        _("Candidates and assignment by hand"),
    )


class _AuditLink:
    @admin.display(description=_("Matching audit"))
    def candidates(self, obj):
        return candidates_link(obj.order_id)


@admin.register(Offer)
class OfferAdmin(_AuditLink, ReadOnlyAdmin):
    """Offers are made and answered by matching's services only."""

    list_display = ("id", "order", "provider", "status", "created_at", "expires_at", "responded_at")
    list_filter = ("status", "order__area", "created_at")
    search_fields = ("provider__user__phone", "provider__user__full_name", "order__customer__phone")
    list_select_related = ("order", "provider__user")
    fields = (
        ("order", "provider", "status"),
        ("created_at", "expires_at", "responded_at"),
        "reason",
        "candidates",
    )


@admin.register(Recommendation)
class RecommendationAdmin(_AuditLink, ReadOnlyAdmin):
    """What the customer was shown, and what became of it: written by matching only."""

    list_display = ("order", "round", "rank", "provider", "status", "total", "created_at")
    list_filter = ("status", "created_at")
    search_fields = ("provider__user__full_name", "order__customer__phone")
    list_select_related = ("order", "provider__user")
    fields = (
        ("order", "provider", "round", "rank"),
        ("status", "created_at", "decided_at"),
        "score",
        "candidates",
    )
