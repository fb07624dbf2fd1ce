from django.contrib import admin

from .models import Offer


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
    )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
