from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AdminDateWidget, AdminTimeWidget
from django.db.models import Case, Max, When
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from accounts.admin_actions import action_with_reason
from providers.admin.actions import action_with_form
from providers.models import Provider
from providers.models.core import BOOKABLE_STATUSES

from . import (
    admin_catalogue,  # noqa: F401  the catalogue and the price book
    admin_recurring,  # noqa: F401  recurring series
    services,
)
from .models import (
    BalanceEntry,
    ClaimStatus,
    Contract,
    ContractSignature,
    ContractTemplate,
    GuaranteeClaim,
    Order,
    OrderEvent,
    OrderOption,
)


class OrderEventInline(admin.TabularInline):
    model = OrderEvent
    extra = 0
    can_delete = False
    fields = ("at", "from_status", "to_status", "actor", "reason")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class OrderOptionInline(admin.TabularInline):
    """Options as booked, with the price then: part of the frozen quote (R-ORD-2)."""

    model = OrderOption
    extra = 0
    can_delete = False
    fields = ("option", "name", "price", "extra_minutes")
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
    inlines = [OrderOptionInline, OrderEventInline]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "preferred_provider":
            # Only someone who may take jobs can be preferred: never an applicant, a suspended
            # or a removed provider.
            kwargs["queryset"] = Provider.objects.filter(status__in=BOOKABLE_STATUSES)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

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


# --- Cancellation fee waiver, guarantee claims and balances (R-ORD-3, R-ORD-7, R-SUP-7) -----

OrderAdmin.actions = [
    *OrderAdmin.actions,
    action_with_reason(
        name="cancel_waive_fee",
        description=_("Cancel the selected orders without a late cancellation fee"),
        service=lambda o, **kw: services.cancel_order(order=o, waive_fee=True, **kw),
    ),
]


class RedoForm(forms.Form):
    day = forms.DateField(label=_("Date of the new visit"), widget=AdminDateWidget)
    start = forms.TimeField(label=_("Start time"), widget=AdminTimeWidget)
    note = forms.CharField(
        label=_("Note to the customer"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CompensateForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Credit to the customer's balance"), max_digits=14, decimal_places=2
    )
    note = forms.CharField(
        label=_("Note to the customer"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RejectClaimForm(forms.Form):
    note = forms.CharField(
        label=_("Why is the claim not accepted?"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def _decide(decision):
    return lambda claim, *, actor, **data: services.decide_claim(
        claim=claim, actor=actor, decision=decision, **data
    )


@admin.register(GuaranteeClaim)
class GuaranteeClaimAdmin(admin.ModelAdmin):
    list_display = ("id", "order", "customer", "status", "created_at", "decided_by", "amount")
    list_filter = ("status",)
    search_fields = ("customer__phone", "customer__full_name", "order__id")
    list_select_related = ("order", "customer", "decided_by")
    # Decisions go through decide_claim, which credits, creates the redo order and notifies.
    readonly_fields = (
        "order",
        "customer",
        "description",
        "status",
        "created_at",
        "decided_by",
        "decided_at",
        "decision_note",
        "redo_order",
        "amount",
    )
    actions = [
        action_with_form(
            name="redo",
            description=_("Redo the work at no charge"),
            service=_decide(services.ClaimDecision.REDO),
            form_class=RedoForm,
        ),
        action_with_form(
            name="compensate",
            description=_("Compensate on the customer's balance"),
            service=_decide(services.ClaimDecision.COMPENSATE),
            form_class=CompensateForm,
        ),
        action_with_form(
            name="reject",
            description=_("Do not accept the claim"),
            service=_decide(services.ClaimDecision.REJECT),
            form_class=RejectClaimForm,
        ),
    ]

    def get_ordering(self, request):
        # Open claims first, then the newest.
        return (Case(When(status=ClaimStatus.OPEN, then=0), default=1).asc(), "-created_at")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BalanceEntry)
class BalanceEntryAdmin(admin.ModelAdmin):
    """Read-only: entries are appended by the services (fees, compensation), never edited."""

    list_display = ("created_at", "customer", "amount", "currency", "reason", "order", "created_by")
    list_filter = ("reason", ("created_at", admin.DateFieldListFilter))
    search_fields = ("customer__phone", "customer__full_name")
    list_select_related = ("customer", "order", "created_by")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# Contracts (R-ORD-4): generated and signed through orders.contracts only; never edited here.


class ContractSignatureInline(admin.TabularInline):
    model = ContractSignature
    extra = 0
    can_delete = False
    fields = (
        "party",
        "signer",
        "typed_name",
        "signed_at",
        "ip_address",
        "user_agent",
        "text_sha256",
    )
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    list_display = ("order", "language", "template", "created_at", "verification_link")
    list_filter = ("language", ("created_at", admin.DateFieldListFilter))
    search_fields = ("order__id", "public_id", "order__customer__phone")
    list_select_related = ("order", "template")
    fields = (
        "order",
        "template",
        "language",
        "created_at",
        "text_sha256",
        "public_id",
        "verification_link",
        "text",
    )
    readonly_fields = fields
    inlines = [ContractSignatureInline]

    @admin.display(description=_("verification page"))
    def verification_link(self, obj):
        url = reverse("contract_verify", args=[obj.public_id])
        return format_html('<a href="{}" target="_blank">{}</a>', url, _("Verify"))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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


# The person cared for, the arrival check-in and the completion report (R-ORD-1, R-ORD-6).
from .admin_execution import extend_order_admin  # noqa: E402

extend_order_admin(OrderAdmin)
