"""Payments, refunds and receipts in the admin: read-only (the gateway and the ledger say what
happened); a refund is made only through the refund service, with a reason, by staff allowed
to refund."""

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin.actions import ReasonForm, action_with_form
from core.admin.readonly import ReadOnlyAdmin, ReadOnlyTabularInline, StatusEventInline
from core.admin.search import PhoneSearchMixin
from ledger.money import from_minor

from ..models import Payment, PaymentEvent, Receipt, Refund, RefundDestination, SandboxCharge
from ..services.refunds import refund_in_major_units


def _amount(minor, currency) -> str:
    return f"{from_minor(minor or 0, currency):,} {currency}"


class PaymentEventInline(StatusEventInline):
    model = PaymentEvent


class RefundInline(ReadOnlyTabularInline):
    model = Refund
    fields = ("created_at", "amount_shown", "destination", "status", "reason", "created_by")
    readonly_fields = fields

    @admin.display(description=_("amount"))
    def amount_shown(self, refund):
        return _amount(refund.amount, refund.currency)


class RefundForm(ReasonForm):
    amount = forms.DecimalField(label=_("Amount"), min_value=0, decimal_places=2)
    destination = forms.ChoiceField(label=_("Refund to"), choices=RefundDestination.choices)
    field_order = ["amount", "destination", "reason"]


@admin.register(Payment)
class PaymentAdmin(PhoneSearchMixin, ReadOnlyAdmin):
    list_display = (
        "reference",
        "created_at",
        "customer",
        "order_link",
        "amount_shown",
        "gateway",
        "status",
        "refunded_shown",
    )
    list_filter = ("status", "gateway", ("created_at", admin.DateFieldListFilter))
    search_fields = ("=reference", "=gateway_reference", "=order__id", "customer__phone")
    list_select_related = ("customer",)
    date_hierarchy = "created_at"
    show_full_result_count = False
    inlines = [RefundInline, PaymentEventInline]
    actions = ["refund"]

    @admin.display(description=_("order"), ordering="order")
    def order_link(self, payment):
        url = reverse("admin:orders_order_change", args=[payment.order_id])
        return format_html('<a href="{}">#{}</a>', url, payment.order_id)

    @admin.display(description=_("total"), ordering="amount")
    def amount_shown(self, payment):
        return _amount(payment.amount, payment.currency)

    @admin.display(description=_("refunded"))
    def refunded_shown(self, payment):
        return _amount(payment.refunded_amount, payment.currency) if payment.refunded_amount else ""

    refund = action_with_form(
        name="refund",
        description=_("Refund the selected payments (to the card or the wallet)"),
        service=refund_in_major_units,
        form_class=RefundForm,
    )
    refund.allowed_permissions = ("refund",)

    def has_refund_permission(self, request):
        return request.user.has_perm("payments.refund_payment")


@admin.register(Refund)
class RefundAdmin(PhoneSearchMixin, ReadOnlyAdmin):
    list_display = ("id", "created_at", "payment", "amount_shown", "destination", "status")
    list_filter = ("status", "destination", ("created_at", admin.DateFieldListFilter))
    search_fields = ("=payment__reference", "payment__customer__phone")
    list_select_related = ("payment",)
    show_full_result_count = False

    @admin.display(description=_("amount"), ordering="amount")
    def amount_shown(self, refund):
        return _amount(refund.amount, refund.currency)


@admin.register(Receipt)
class ReceiptAdmin(PhoneSearchMixin, ReadOnlyAdmin):
    list_display = ("number_shown", "issued_at", "kind", "customer", "amount_shown", "pdf")
    list_filter = ("kind", "year")
    search_fields = ("=number", "customer__phone", "=payment__reference")
    list_select_related = ("customer",)
    show_full_result_count = False

    @admin.display(description=_("number"), ordering="number")
    def number_shown(self, receipt):
        return receipt.display_number

    @admin.display(description=_("amount"))
    def amount_shown(self, receipt):
        return _amount(receipt.amount, receipt.currency)

    @admin.display(description=_("PDF"))
    def pdf(self, receipt):
        url = reverse("payments:receipt_pdf", args=[receipt.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download"))


@admin.register(SandboxCharge)
class SandboxChargeAdmin(ReadOnlyAdmin):
    """The sandbox gateway's own book, to compare with our payments in a demo."""

    list_display = ("charge_id", "created_at", "merchant_reference", "amount", "state")
    list_filter = ("state",)
    search_fields = ("=charge_id", "=merchant_reference")

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser
