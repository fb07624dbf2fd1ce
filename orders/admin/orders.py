"""Orders in the admin: the list and its filters, each order's record with its frozen quote,
the person cared for (each read logged), check-in, report and timeline, and the actions that go
through the services (look for a provider again, cancel, cancel without the late fee)."""

from functools import partial

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from core.admin import (
    PhoneSearchMixin,
    ReadOnlyTabularInline,
    StatusEventInline,
    action_with_reason,
)
from providers.models import BOOKABLE_STATUSES, Provider

from ..models import Order, OrderEvent, OrderOption
from ..services import lifecycle
from .execution import ArrivalCheckInInline, CareRecipientInline, CompletionReportInline


class OrderEventInline(StatusEventInline):
    model = OrderEvent


class OrderOptionInline(ReadOnlyTabularInline):
    """Options as booked, with the price then: part of the frozen quote (R-ORD-2)."""

    model = OrderOption
    fields = ("option", "name", "price", "extra_minutes")


@admin.register(Order)
class OrderAdmin(PhoneSearchMixin, admin.ModelAdmin):
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
    list_filter = (
        "status",
        "area",
        "service_type",
        ("starts_at", admin.DateFieldListFilter),
        "check_in__has_differences",
    )
    search_fields = ("customer__phone", "customer__full_name", "provider__user__phone", "address")
    date_hierarchy = "starts_at"
    list_select_related = ("service_type", "area", "customer", "provider__user")
    # A raw id, not a list of every provider (thousands in a city).
    raw_id_fields = ("customer", "provider", "preferred_provider")
    # Everything that shapes the job changes only through the services, which audit it; the
    # address and personal requests stay editable for corrections agreed with the customer.
    readonly_fields = (
        "customer",
        "service_type",
        "area",
        "home_area_sqm",
        "hours",
        "difficulty",
        "status",
        "price",
        "currency",
        "price_book",
        "price_breakdown_display",
        "starts_at",
        "ends_at",
        "provider",
        "blocked_until",
        "cancellation_fee",
        "avoid_provider",
        "channel",
        "taken_by",
        "created_at",
        "status_changed_at",
        "completed_at",
        "matching_audit",
    )
    # The person cared for, the arrival check-in and the completion report (R-ORD-1, R-ORD-6).
    inlines = [
        CareRecipientInline,
        ArrivalCheckInInline,
        CompletionReportInline,
        OrderOptionInline,
        OrderEventInline,
    ]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "preferred_provider":
            # Only someone who may take jobs can be preferred: never an applicant, a suspended
            # or a removed provider.
            kwargs["queryset"] = Provider.objects.filter(status__in=BOOKABLE_STATUSES)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    actions = [
        action_with_reason(name=name, description=description, service=service, subject="order")
        for name, description, service in [
            ("retry_matching", _("Look for a provider again"), lifecycle.reopen_for_matching),
            ("cancel", _("Cancel the selected orders"), lifecycle.cancel_order),
            (
                "cancel_waive_fee",
                _("Cancel the selected orders without a late cancellation fee"),
                partial(lifecycle.cancel_order, waive_fee=True),
            ),
        ]
    ]

    @admin.display(description=_("price breakdown"))
    def price_breakdown_display(self, obj):
        return format_html_join(
            "", "<div>{}: {}</div>", ((line.label, line.amount) for line in obj.price_breakdown)
        )

    @admin.display(description=_("customer phone"), ordering="customer__phone")
    def customer_phone(self, obj):
        return obj.customer.phone

    @admin.display(description=_("matching"))
    def matching_audit(self, obj):
        # A link by URL name: orders may not import matching.
        return format_html(
            '<a href="{}">{}</a>',
            reverse("matching:candidates", args=[obj.pk]),
            _("Candidates and assignment by hand"),
        )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # an order and its history are kept
