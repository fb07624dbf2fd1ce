from django.contrib import admin

from .models import Rating


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    list_display = (
        "order",
        "provider",
        "customer",
        "attitude",
        "result",
        "compliance",
        "created_at",
    )
    list_filter = ("attitude", "result", "compliance", "created_at", "order__area")
    search_fields = (
        "provider__user__phone",
        "provider__user__full_name",
        "customer__phone",
        "comment",
    )
    list_select_related = ("order", "provider__user", "customer")
    readonly_fields = (
        "order",
        "provider",
        "customer",
        "attitude",
        "result",
        "compliance",
        "comment",
        "created_at",
    )

    def has_add_permission(self, request):
        return False
