"""Recurring series in the admin: operators see each series with its dates, events and standing
agreement, and pause, resume or end it with a reason. Everything else is read-only: a series
changes only through orders.services.recurring, which audits it."""

from django.contrib import admin
from django.contrib.admin.utils import flatten
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from core.admin import (
    ReadOnlyStackedInline,
    ReadOnlyTabularInline,
    StatusEventInline,
    action_with_reason,
)

from ..models import RecurringSeries, SeriesAgreement, SeriesEvent, SeriesOccurrence
from ..services import recurring


class SeriesOccurrenceInline(ReadOnlyTabularInline):
    model = SeriesOccurrence
    fields = ("occurs_on", "order", "problem", "customer_told_at")
    ordering = ("-occurs_on",)


class SeriesEventInline(StatusEventInline):
    model = SeriesEvent


class SeriesAgreementInline(ReadOnlyStackedInline):
    model = SeriesAgreement
    fields = (
        "typed_name",
        "signer",
        "signed_at",
        "ip_address",
        "user_agent",
        "language",
        "text_sha256",
        "text",
    )


@admin.register(RecurringSeries)
class RecurringSeriesAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "customer",
        "service_type",
        "interval",
        "weekday_name",
        "start_time",
        "preferred_provider",
        "status",
    )
    list_filter = ("status", "interval", "service_type", "area")
    search_fields = ("customer__phone", "customer__full_name", "address")
    list_select_related = ("customer", "service_type", "preferred_provider__user")
    # Changes go through the pause, resume and end actions (recorded, the customer told).
    fields = (
        ("customer", "first_order", "created_at"),
        ("service_type", "area", "address"),
        ("home_area_sqm", "hours", "difficulty"),
        "options",
        "notes",
        ("interval", "weekday", "start_time"),
        ("starts_on", "ends_on", "preferred_provider"),
        ("status", "status_changed_at"),
    )
    readonly_fields = flatten(fields)
    inlines = [SeriesAgreementInline, SeriesOccurrenceInline, SeriesEventInline]
    actions = [
        action_with_reason(name=name, description=description, service=service, subject="series")
        for name, description, service in [
            ("pause_series", _("Pause the selected series"), recurring.pause_series),
            ("resume_series", _("Resume the selected series"), recurring.resume_series),
            ("end_series", _("End the selected series"), recurring.end_series),
        ]
    ]

    @admin.display(description=_("weekday"), ordering="weekday")
    def weekday_name(self, obj):
        return WEEKDAYS[obj.weekday]

    def has_add_permission(self, request):
        return False  # started by the customer from an order (services.recurring.start_series)

    def has_delete_permission(self, request, obj=None):
        return False  # a series and its history are kept
