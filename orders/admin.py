from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.admin_actions import action_with_reason

from . import services
from .models import Order, OrderEvent, ServiceType


@admin.register(ServiceType)
class ServiceTypeAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "base_price", "price_per_sqm", "minimum_price", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "code")
    filter_horizontal = ("required_skills",)


class OrderEventInline(admin.TabularInline):
    model = OrderEvent
    extra = 0
    can_delete = False
    fields = ("at", "from_status", "to_status", "actor", "reason")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "service_type",
        "area",
        "starts_at",
        "status",
        "customer_phone",
        "provider",
        "price",
    )
    list_filter = ("status", "area", "service_type", ("starts_at", admin.DateFieldListFilter))
    search_fields = ("customer__phone", "customer__full_name", "provider__user__phone", "address")
    date_hierarchy = "starts_at"
    list_select_related = ("service_type", "area", "customer", "provider__user")
    raw_id_fields = ("customer", "provider")
    # Status, price and schedule change only through the services, which audit them.
    readonly_fields = (
        "status",
        "price",
        "currency",
        "starts_at",
        "ends_at",
        "provider",
        "created_at",
        "status_changed_at",
        "completed_at",
    )
    inlines = [OrderEventInline]
    actions = [
        action_with_reason(
            name="retry_matching",
            description=_("Look for a provider again"),
            service=lambda o, **kw: services.reopen_for_matching(order=o, **kw),
        ),
        action_with_reason(
            name="cancel",
            description=_("Cancel the selected orders"),
            service=lambda o, **kw: services.cancel_order(order=o, **kw),
        ),
    ]

    @admin.display(description=_("customer phone"), ordering="customer__phone")
    def customer_phone(self, obj):
        return obj.customer.phone

    def has_add_permission(self, request):
        return False
