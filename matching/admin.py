from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import Offer, Recommendation


def candidates_link(order_id: int):
    return format_html(
        '<a href="{}">{}</a>',
        reverse("matching:candidates", args=[order_id]),
        _("Candidates and assignment by hand"),
    )


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    list_display = ("id", "order", "provider", "status", "created_at", "expires_at", "responded_at")
    list_filter = ("status", "order__area", "created_at")
    search_fields = ("provider__user__phone", "provider__user__full_name", "order__customer__phone")
    list_select_related = ("order", "provider__user")
    raw_id_fields = ("order", "provider")
    readonly_fields = (
        "order",
        "provider",
        "status",
        "created_at",
        "expires_at",
        "responded_at",
        "reason",
        "candidates",
    )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("Matching audit"))
    def candidates(self, obj):
        return candidates_link(obj.order_id)


@admin.register(Recommendation)
class RecommendationAdmin(admin.ModelAdmin):
    list_display = ("order", "round", "rank", "provider", "status", "total", "created_at")
    list_filter = ("status", "created_at")
    search_fields = ("provider__user__full_name", "order__customer__phone")
    list_select_related = ("order", "provider__user")
    readonly_fields = (
        "order",
        "provider",
        "round",
        "rank",
        "score",
        "status",
        "created_at",
        "decided_at",
        "candidates",
    )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return request.method in ("GET", "HEAD") and super().has_view_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("Matching audit"))
    def candidates(self, obj):
        return candidates_link(obj.order_id)
