"""Admin for providers' earnings (R-PAY-4): the commission table (versioned: a published
version is read-only, a change is a new draft copied from it), job earnings and providers'
statements, bank accounts, and payout runs (built, exported and marked paid through
payments.services.payouts by staff with `payments.run_payouts`)."""

from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Max
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin import (
    ReadOnlyAdmin,
    ReadOnlyTabularInline,
    StatusEventInline,
    action_with_reason,
)
from core.forms import add_refusal
from ledger.money import from_minor
from providers.models import Provider

from ..models import (
    CommissionRule,
    CommissionStatus,
    CommissionTable,
    EarningRecord,
    Payout,
    PayoutAccount,
    PayoutRun,
    PayoutRunEvent,
    PayoutSkip,
)
from ..selectors import Period, statement_for
from ..services.earnings import (
    EDIT_PERMISSION,
    PUBLISH_PERMISSION,
    copy_commission_table,
    publish_commission_table,
)
from ..services.payouts import (
    PERMISSION as PAYOUT_PERMISSION,
)
from ..services.payouts import (
    bank_file,
    build_payout_run,
    cancel_payout_run,
    mark_run_paid,
)
from ..statements import render_statement_pdf, statement_filename

# --- Commission -----------------------------------------------------------------------------


class CommissionRuleInline(admin.TabularInline):
    model = CommissionRule
    extra = 0
    fields = ("service_type", "tier", "percent")

    def _locked(self, obj):
        return obj is not None and obj.status == CommissionStatus.PUBLISHED

    def has_add_permission(self, request, obj=None):
        return not self._locked(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not self._locked(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._locked(obj) and super().has_delete_permission(request, obj)


@admin.register(CommissionTable)
class CommissionTableAdmin(admin.ModelAdmin):
    list_display = ("number", "status", "valid_from", "published_at", "published_by", "note")
    list_filter = ("status",)
    readonly_fields = (
        "status",
        "created_by",
        "created_at",
        "copied_from",
        "published_at",
        "published_by",
    )
    fields = ("number", "valid_from", "note", *readonly_fields)
    inlines = [CommissionRuleInline]
    actions = ["new_draft_from_version", "publish_versions"]

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.status == CommissionStatus.PUBLISHED:
            return False  # read-only once published: view permission still shows it
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.status == CommissionStatus.PUBLISHED:
            return False
        return super().has_delete_permission(request, obj)

    def get_changeform_initial_data(self, request):
        top = CommissionTable.objects.aggregate(top=Max("number"))["top"] or 0
        return {"number": top + 1}

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.action(description=_("New draft from this version"), permissions=["copy"])
    def new_draft_from_version(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Choose exactly one version."), messages.ERROR)
            return
        try:
            draft = copy_commission_table(source=queryset.get(), actor=request.user)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return
        self.message_user(
            request,
            _("Draft version %(number)s created; edit and publish it.") % {"number": draft.number},
        )

    @admin.action(description=_("Publish"), permissions=["publish"])
    def publish_versions(self, request, queryset):
        for table in queryset.order_by("number"):
            try:
                publish_commission_table(table=table, actor=request.user)
            except ValidationError as exc:
                self.message_user(request, f"{table}: {' '.join(exc.messages)}", messages.ERROR)
            else:
                self.message_user(request, _("%(table)s published.") % {"table": table})

    def has_copy_permission(self, request):
        return request.user.has_perm(EDIT_PERMISSION)

    def has_publish_permission(self, request):
        return request.user.has_perm(PUBLISH_PERMISSION)


# --- Job earnings and statements ------------------------------------------------------------


def _statement_link(provider_id: int, label) -> str:
    url = reverse("admin:payments_earningrecord_statement", args=[provider_id])
    return format_html('<a href="{}">{}</a>', url, label)


@admin.register(EarningRecord)
class EarningRecordAdmin(ReadOnlyAdmin):
    list_display = (
        "order",
        "provider",
        "created_at",
        "price_shown",
        "percent",
        "commission_shown",
        "share_shown",
        "commission_table",
        "statement",
    )
    list_filter = ("commission_table", "created_at")
    list_select_related = ("order", "provider__user", "commission_table")
    search_fields = ("order__id", "provider__user__full_name", "provider__user__phone")
    date_hierarchy = "created_at"
    fields = (
        "order",
        "provider",
        "entry",
        "commission_table",
        "percent",
        "currency",
        "price",
        "commission",
        "share",
        "created_at",
    )

    @admin.display(description=_("price"))
    def price_shown(self, record):
        return record.price_major

    @admin.display(description=_("commission"))
    def commission_shown(self, record):
        return record.commission_major

    @admin.display(description=_("provider's share"))
    def share_shown(self, record):
        return record.share_major

    @admin.display(description=_("statement"))
    def statement(self, record):
        return _statement_link(record.provider_id, _("statement"))

    def get_urls(self):
        view = self.admin_site.admin_view(self.statement_view)
        return [
            path(
                "statement/<int:provider_id>/",
                view,
                name="payments_earningrecord_statement",
            ),
            *super().get_urls(),
        ]

    def statement_view(self, request, provider_id):
        """Any provider's statement for a month (?month=YYYY-MM), as a page or (?pdf=1) as
        the provider's PDF."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        provider = get_object_or_404(Provider.objects.select_related("user"), pk=provider_id)
        period = Period.parse_month(request.GET.get("month"))
        found = statement_for(provider=provider, period=period)
        if request.GET.get("pdf"):
            response = HttpResponse(render_statement_pdf(found), content_type="application/pdf")
            response["Content-Disposition"] = f'attachment; filename="{statement_filename(found)}"'
            return response
        first = period.first
        previous = Period.month_of(first - timedelta(days=1))
        following = Period.month_of(period.last + timedelta(days=1))
        return TemplateResponse(
            request,
            "payments/earnings_admin_statement.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": _("Statement of %(name)s") % {"name": provider.user.full_name},
                "statement": found,
                "provider": provider,
                "previous": previous.key,
                "following": following.key,
            },
        )


@admin.register(PayoutAccount)
class PayoutAccountAdmin(ReadOnlyAdmin):
    list_display = ("provider", "holder_name", "iban", "updated_at", "statement")
    list_select_related = ("provider__user",)
    search_fields = ("provider__user__full_name", "provider__user__phone", "holder_name")
    fields = ("provider", "holder_name", "iban", "updated_at")

    @admin.display(description=_("statement"))
    def statement(self, account):
        return _statement_link(account.provider_id, _("statement"))


# --- Payout runs ----------------------------------------------------------------------------


def _last_month() -> Period:
    return Period.month_of(timezone.localdate().replace(day=1) - timedelta(days=1))


class PayoutRunForm(forms.Form):
    period_start = forms.DateField(
        label=_("Period from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    period_end = forms.DateField(
        label=_("Period to (inclusive)"), widget=forms.DateInput(attrs={"type": "date"})
    )
    currency = forms.CharField(label=_("Currency"), max_length=3)

    def clean(self):
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("The period ends before it starts."))
        if end and end >= timezone.localdate():
            self.add_error("period_end", _("Pay only for a period that has ended."))
        return data


class PayoutInline(ReadOnlyTabularInline):
    model = Payout
    fields = ("provider", "holder_name", "iban", "amount_shown", "currency", "reference", "entry")

    @admin.display(description=_("amount"))
    def amount_shown(self, payout):
        return from_minor(payout.amount, payout.currency)

    @admin.display(description=_("reference"))
    def reference(self, payout):
        return payout.reference


class PayoutSkipInline(ReadOnlyTabularInline):
    model = PayoutSkip
    fk_name = "run"
    fields = ("provider", "reason", "balance_shown", "other_run")
    verbose_name_plural = _("providers left out")

    @admin.display(description=_("balance"))
    def balance_shown(self, skip):
        return from_minor(skip.balance, skip.run.currency)


class PayoutRunEventInline(StatusEventInline):
    model = PayoutRunEvent


@admin.register(PayoutRun)
class PayoutRunAdmin(admin.ModelAdmin):
    list_display = ("__str__", "status", "currency", "total_shown", "created_by", "created_at")
    list_filter = ("status", "currency")
    date_hierarchy = "period_end"
    fields = (
        "period_start",
        "period_end",
        "currency",
        "status",
        "total_shown",
        "created_by",
        "created_at",
    )
    readonly_fields = fields
    inlines = [PayoutInline, PayoutSkipInline, PayoutRunEventInline]
    actions = ["download_bank_file", "mark_paid", "cancel_runs"]

    @admin.display(description=_("total"))
    def total_shown(self, run):
        return from_minor(run.total, run.currency)

    def has_add_permission(self, request):
        return request.user.has_perm(PAYOUT_PERMISSION)

    def has_change_permission(self, request, obj=None):
        return False  # a run changes only through its actions

    def has_delete_permission(self, request, obj=None):
        return False

    def has_run_payouts_permission(self, request):
        return request.user.has_perm(PAYOUT_PERMISSION)

    def add_view(self, request, form_url="", extra_context=None):
        """Building a run: the period and currency, then the service lists the payouts."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        last = _last_month()
        form = PayoutRunForm(
            request.POST or None,
            initial={
                "period_start": last.first,
                "period_end": last.last,
                "currency": settings.CURRENCY,
            },
        )
        if request.method == "POST" and form.is_valid():
            try:
                run = build_payout_run(actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                add_refusal(form, error)
            else:
                self.message_user(
                    request,
                    _("%(run)s built. Payouts: %(count)d; providers left out: %(left)d.")
                    % {"run": run, "count": run.payouts.count(), "left": run.skips.count()},
                    messages.SUCCESS,
                )
                return redirect("admin:payments_payoutrun_change", run.pk)
        return TemplateResponse(
            request,
            "payments/payout_run_add.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": _("New payout run"),
                "form": form,
            },
        )

    def _one(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Choose exactly one payout run."), messages.ERROR)
            return None
        return queryset.get()

    @admin.action(description=_("Download the bank file"), permissions=["run_payouts"])
    def download_bank_file(self, request, queryset):
        run = self._one(request, queryset)
        if run is None:
            return None
        try:
            content = bank_file(run=run, actor=request.user)
        except ValidationError as error:
            for message in error.messages:
                self.message_user(request, message, messages.ERROR)
            return None
        response = HttpResponse(content, content_type="text/csv; charset=utf-8")
        name = f"payout-run-{run.pk}-{run.period_start:%Y%m%d}-{run.period_end:%Y%m%d}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    @admin.action(
        description=_("Mark paid (the bank has sent the transfers)"), permissions=["run_payouts"]
    )
    def mark_paid(self, request, queryset):
        for run in queryset.order_by("pk"):
            try:
                mark_run_paid(run=run, actor=request.user)
            except ValidationError as error:
                self.message_user(request, f"{run}: {' '.join(error.messages)}", messages.ERROR)
            else:
                self.message_user(request, _("%(run)s marked paid.") % {"run": run})

    cancel_runs = action_with_reason(
        name="cancel_runs",
        description=_("Cancel (nothing is paid)"),
        service=cancel_payout_run,
        subject="run",
    )

    # Runs are never edited, so the action asks for run_payouts rather than change.
    cancel_runs.allowed_permissions = ("run_payouts",)
