"""Vetting documents in the console (R-VET-4): upload, check originals, open through the
protected view only. The stored file's name and path are never shown."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin import AccessLogAdmin, ReadOnlyTabularInline

from ..models import DocumentAccess, VettingDocument
from ..services import documents

# What an existing document shows: everything read-only, and no raw `file` field.
DETAIL_FIELDS = (
    "provider",
    "kind",
    "open_link",
    "content_type",
    "original_name",
    "size",
    "uploaded_by",
    "uploaded_at",
    "issued_on",
    "expires_on",
    "original_checked_at",
    "checked_by",
)


def document_link(document: VettingDocument):
    return format_html(
        '<a href="{}" target="_blank" rel="noopener noreferrer">{}</a>',
        reverse("providers:document_file", args=[document.pk]),
        _("Open"),
    )


class DocumentUploadForm(forms.ModelForm):
    upload = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("JPEG, PNG or PDF. Images are re-encoded without their metadata."),
    )

    class Meta:
        model = VettingDocument
        fields = ("provider", "kind", "issued_on", "expires_on")

    def clean(self):
        # super().clean() is not called: upload_document's checks replace the model's date
        # constraints with clearer messages, and the model has no unique fields to check.
        data = self.cleaned_data
        if all(data.get(name) for name in ("provider", "kind", "upload")):
            try:
                documents.validate_upload(
                    provider=data["provider"],
                    kind=data["kind"],
                    uploaded_file=data["upload"],
                    issued_on=data.get("issued_on"),
                    expires_on=data.get("expires_on"),
                )
            except ValidationError as error:
                raise forms.ValidationError(error.messages) from error
        return data


class CheckedFilter(admin.SimpleListFilter):
    title = gettext_lazy("original checked")
    parameter_name = "checked"

    def lookups(self, request, model_admin):
        return [("yes", gettext_lazy("Checked")), ("no", gettext_lazy("Not checked"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(original_checked_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(original_checked_at__isnull=True)
        return queryset


@admin.register(VettingDocument)
class VettingDocumentAdmin(admin.ModelAdmin):
    list_display = (
        "provider",
        "kind",
        "uploaded_at",
        "checked",
        "checked_by",
        "expires_on",
        "open_link",
    )
    list_filter = ("kind", CheckedFilter)
    search_fields = ("provider__user__full_name", "provider__user__phone")
    list_select_related = ("provider__user", "checked_by")
    date_hierarchy = "uploaded_at"
    raw_id_fields = ("provider",)
    actions = ["mark_original_checked"]
    add_fieldsets = ((None, {"fields": ("provider", "kind", "upload", "issued_on", "expires_on")}),)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.add_fieldsets
        return ((None, {"fields": DETAIL_FIELDS}),)

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else DETAIL_FIELDS

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = DocumentUploadForm
        return super().get_form(request, obj, change=change, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:  # never reached: documents are not editable
            return
        data = form.cleaned_data
        document = documents.upload_document(
            provider=data["provider"],
            kind=data["kind"],
            uploaded_file=data["upload"],
            actor=request.user,
            issued_on=data.get("issued_on"),
            expires_on=data.get("expires_on"),
        )
        # The admin goes on with `obj` (log entry, redirect): make it the saved document.
        for field in VettingDocument._meta.concrete_fields:
            setattr(obj, field.attname, getattr(document, field.attname))
        obj._state.adding = False
        obj._state.db = document._state.db

    def has_change_permission(self, request, obj=None):
        # The list action needs "change"; a stored document itself is never edited.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False  # evidence of the vetting: kept with the provider's record

    @admin.display(description=gettext_lazy("original checked"), boolean=True)
    def checked(self, obj):
        return obj.is_checked

    @admin.display(description=gettext_lazy("file"))
    def open_link(self, obj):
        return document_link(obj) if obj.pk else "-"

    @admin.action(description=gettext_lazy("Mark the original as checked"), permissions=["change"])
    def mark_original_checked(self, request, queryset):
        done = 0
        for document in queryset.select_related("provider__user"):
            try:
                documents.mark_original_checked(document=document, actor=request.user)
                done += 1
            except ValidationError as error:
                self.message_user(
                    request, f"{document}: {' '.join(error.messages)}", messages.ERROR
                )
        if done:
            self.message_user(
                request, _("%(count)d marked as checked.") % {"count": done}, messages.SUCCESS
            )


class VettingDocumentInline(ReadOnlyTabularInline):
    """Read-only documents on the provider's record, opened through the protected view."""

    model = VettingDocument
    show_change_link = True
    fields = (
        "kind",
        "uploaded_at",
        "issued_on",
        "expires_on",
        "original_checked_at",
        "checked_by",
        "open_link",
    )
    verbose_name_plural = gettext_lazy("identity and background documents")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("checked_by")

    @admin.display(description=gettext_lazy("file"))
    def open_link(self, obj):
        return document_link(obj) if obj.pk else "-"


@admin.register(DocumentAccess)
class DocumentAccessAdmin(AccessLogAdmin):
    search_fields = (*AccessLogAdmin.search_fields, "document__provider__user__full_name")
    list_select_related = ("user", "document__provider__user")


__all__ = ["DocumentUploadForm", "VettingDocumentAdmin", "VettingDocumentInline"]
