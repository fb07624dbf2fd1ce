"""Records the admin shows but never adds, changes or deletes: they are written by services
(audit trails, signatures, access logs) and would lose their meaning if edited."""

from django.contrib import admin
from django.contrib.admin.utils import flatten
from django.utils.translation import gettext_lazy as _


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Every listed field read-only, no add, change or delete."""

    def get_readonly_fields(self, request, obj=None):
        if self.fields:  # rows of fields may be grouped on one line
            return flatten(self.fields)
        return [field.name for field in self.model._meta.fields]


class ReadOnlyTabularInline(ReadOnlyMixin, admin.TabularInline):
    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields or ()


class ReadOnlyStackedInline(ReadOnlyMixin, admin.StackedInline):
    extra = 0
    max_num = 1
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields or ()


class _ReasonColumn:
    @admin.display(description=_("reason"))
    def reason_shown(self, event):
        return event.reason_text


class StatusEventInline(_ReasonColumn, ReadOnlyTabularInline):
    """The timeline of a subject: each status change or note, who made it and why."""

    fields = ("at", "from_status", "to_status", "actor", "reason_shown")
    verbose_name_plural = _("history")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class StatusEventAdmin(_ReasonColumn, ReadOnlyAdmin):
    """Every event of one lifecycle, filtered by status and date."""

    list_display = ("at", "subject", "from_status", "to_status", "actor", "reason_shown")
    list_filter = ("to_status", "at")
    date_hierarchy = "at"
    fields = ("at", "subject", "from_status", "to_status", "actor", "reason_shown", "extra")

    def get_list_select_related(self, request):
        return self.list_select_related or (self.model.subject_field, "actor")

    @admin.display(description=_("subject"))
    def subject(self, event):
        return getattr(event, event.subject_field)


class AccessLogAdmin(ReadOnlyAdmin):
    """Who opened which sensitive record, newest first (core.models.AccessLog)."""

    list_filter = (("user", admin.RelatedOnlyFieldListFilter), "at")
    date_hierarchy = "at"
    search_fields = ("user__phone", "user__full_name")

    def get_list_display(self, request):
        return ("at", "user", self.model.subject_field, "ip_address")

    def get_fields(self, request, obj=None):
        return ("at", "user", self.model.subject_field, "ip_address")

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def get_list_select_related(self, request):
        return self.list_select_related or ("user", self.model.subject_field)
