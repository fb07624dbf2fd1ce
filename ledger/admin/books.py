"""The books in the admin: read-only, as the ledger demands. The one change is a reversal,
with a reason, for those allowed to reverse entries."""

from django.contrib import admin
from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from core.admin.actions import action_with_reason
from core.admin.readonly import ReadOnlyAdmin, ReadOnlyTabularInline
from core.admin.search import PhoneSearchMixin

from ..models import JournalEntry, JournalLine, LedgerAccount
from ..money import from_minor
from ..services.posting import reverse_entry


def _amount(minor, currency) -> str:
    return f"{from_minor(minor or 0, currency):,} {currency}"


@admin.register(LedgerAccount)
class LedgerAccountAdmin(PhoneSearchMixin, ReadOnlyAdmin):
    list_display = ("__str__", "kind", "holder", "currency", "balance_shown")
    list_filter = ("kind", "currency")
    search_fields = ("holder__phone", "holder__full_name")
    list_select_related = ("holder",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(balance=Sum("lines__amount"))

    @admin.display(description=_("balance"), ordering="balance")
    def balance_shown(self, account):
        return _amount(account.balance, account.currency)


class JournalLineInline(ReadOnlyTabularInline):
    model = JournalLine
    fields = ("account", "amount_shown")
    readonly_fields = fields

    @admin.display(description=_("amount"))
    def amount_shown(self, line):
        return _amount(line.amount, line.currency)


@admin.register(JournalEntry)
class JournalEntryAdmin(PhoneSearchMixin, ReadOnlyAdmin):
    list_display = ("id", "created_at", "memo_shown", "cause", "cause_id", "created_by")
    list_filter = ("cause", ("created_at", admin.DateFieldListFilter))
    search_fields = ("=id", "=cause_id", "lines__account__holder__phone")
    list_select_related = ("created_by",)
    inlines = [JournalLineInline]
    actions = ["reverse_entries"]
    date_hierarchy = "created_at"

    @admin.display(description=_("reason"))
    def memo_shown(self, entry):
        return _(entry.memo)

    reverse_entries = action_with_reason(
        name="reverse_entries",
        description=_("Reverse the selected entries (post the opposite lines)"),
        service=reverse_entry,
        subject="entry",
    )
    reverse_entries.allowed_permissions = ("reverse",)

    def has_reverse_permission(self, request):
        return request.user.has_perm("ledger.reverse_journalentry")
