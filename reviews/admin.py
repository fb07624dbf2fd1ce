from django import forms
from django.contrib import admin
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin
from providers.admin.core import ProviderAdmin

from . import services
from .models import FeedbackCallStatus, ProviderFeedbackCall, Rating


@admin.register(Rating)
class RatingAdmin(ReadOnlyAdmin):
    """A customer's rating as given: changing or deleting one would change the provider's
    average and the KPI behind their back."""

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


def _ratings_html(call):
    rows = [
        (
            formats.date_format(timezone.localtime(r.created_at), "SHORT_DATE_FORMAT"),
            r.order_id,
            r.attitude,
            r.result,
            r.compliance,
            r.comment or "—",
        )
        for r in call.ratings.all()
    ]
    if not rows:
        return gettext("No new ratings since the last call.")
    return format_html(
        "<ul>{}</ul>",
        format_html_join(
            "",
            '<li>{} · #{} · {}/{}/{} · <span dir="auto">{}</span></li>',
            rows,
        ),
    )


@admin.register(ProviderFeedbackCall)
class ProviderFeedbackCallAdmin(admin.ModelAdmin):
    """The call list in the admin (R-VET-8). Recording goes through the service, so a done call
    is final here too; the attached ratings are read only."""

    list_display = (
        "provider",
        "phone",
        "milestone",
        "status",
        "due_at",
        "outcome",
        "called_by",
        "called_at",
    )
    list_filter = ("status", "outcome", "due_at")
    search_fields = ("provider__user__phone", "provider__user__full_name")
    list_select_related = ("provider__user", "called_by")
    ordering = ("due_at", "pk")
    fields = (
        "provider",
        "milestone",
        "created_at",
        "due_at",
        "attached_ratings",
        "status",
        "outcome",
        "notes",
        "called_by",
        "called_at",
    )
    readonly_fields = (
        "provider",
        "milestone",
        "created_at",
        "due_at",
        "attached_ratings",
        "called_by",
        "called_at",
    )

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)

        class RecordForm(form):
            def clean(self):
                cleaned = super().clean()
                try:
                    services.check_feedback_call_record(
                        call=self.instance,
                        actor=request.user,
                        status=cleaned.get("status", ""),
                        outcome=cleaned.get("outcome", ""),
                        notes=cleaned.get("notes", ""),
                    )
                except services.FeedbackCallError as error:
                    raise forms.ValidationError(error.messages) from error
                return cleaned

        return RecordForm

    def save_model(self, request, obj, form, change):
        services.record_feedback_call(
            call=obj,
            actor=request.user,
            status=form.cleaned_data["status"],
            outcome=form.cleaned_data["outcome"],
            notes=form.cleaned_data["notes"],
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.status == FeedbackCallStatus.DONE:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("phone"), ordering="provider__user__phone")
    def phone(self, obj):
        return obj.provider.user.phone

    @admin.display(description=_("customers' ratings"))
    def attached_ratings(self, obj):
        return _ratings_html(obj)


class ProviderFeedbackCallInline(admin.TabularInline):
    """The feedback calls on the provider's record, read only."""

    model = ProviderFeedbackCall
    fk_name = "provider"
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ("milestone", "due_at", "status", "outcome", "notes", "called_by", "called_at")
    readonly_fields = fields
    verbose_name_plural = _("feedback calls")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("called_by")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# The provider's record (providers' admin, a lower layer) shows the calls: appended here so that
# providers never imports reviews. INSTALLED_APPS lists providers first, so its admin exists.
ProviderAdmin.inlines = [*ProviderAdmin.inlines, ProviderFeedbackCallInline]
