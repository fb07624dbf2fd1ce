"""Contracts (R-ORD-4) in the admin: generated and signed through orders.services.contracts
only, never edited here; a template version any contract was made from is read-only."""

from django.contrib import admin
from django.db.models import Max
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin, ReadOnlyTabularInline

from ..models import Contract, ContractSignature, ContractTemplate


class ContractSignatureInline(ReadOnlyTabularInline):
    model = ContractSignature
    fields = (
        "party",
        "signer",
        "typed_name",
        "signed_at",
        "ip_address",
        "user_agent",
        "text_sha256",
    )


@admin.register(Contract)
class ContractAdmin(ReadOnlyAdmin):
    list_display = (
        "order",
        "status",
        "provider",
        "starts_at",
        "price",
        "created_at",
        "verification_link",
    )
    list_filter = ("status", "language", ("created_at", admin.DateFieldListFilter))
    search_fields = ("order__id", "public_id", "order__customer__phone")
    list_select_related = ("order", "template", "provider__user")
    # What the contract states, how it was made, whether it was voided, how to check it.
    fields = (
        ("order", "status"),
        ("provider", "service_type", "price"),
        ("starts_at", "ends_at"),
        ("template", "language", "created_at"),
        ("voided_at", "voided_by", "void_reason"),
        ("text_sha256", "public_id", "verification_link"),
        "text",
    )
    inlines = [ContractSignatureInline]

    @admin.display(description=_("verification page"))
    def verification_link(self, obj):
        url = reverse("contract_verify", args=[obj.public_id])
        return format_html('<a href="{}" target="_blank">{}</a>', url, _("Verify"))


def contract_template_is_used(template: ContractTemplate) -> bool:
    return Contract.objects.filter(template=template).exists()


@admin.register(ContractTemplate)
class ContractTemplateAdmin(admin.ModelAdmin):
    """New wording is a new version: a version any contract was made from is read-only."""

    list_display = ("version", "language", "title", "published_at")
    list_filter = ("version", "language")
    search_fields = ("title", "body")
    fields = ("version", "language", "title", "body", "published_at")

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        newest = ContractTemplate.objects.aggregate(newest=Max("version"))["newest"] or 0
        initial.setdefault("version", newest + 1)
        return initial

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and contract_template_is_used(obj):
            return self.fields
        return ("published_at",)

    def has_change_permission(self, request, obj=None):
        if obj is not None and contract_template_is_used(obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and contract_template_is_used(obj):
            return False
        return super().has_delete_permission(request, obj)
