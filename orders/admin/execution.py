"""The order admin's view of the person cared for, the arrival check-in and the completion
report (R-ORD-1, R-ORD-6). All read-only: they are written by the services.

The person cared for is shown only to staff holding `orders.view_carerecipient`; each time the
order's page shows them, the read is logged in `CareRecipientAccess`. The order's admin
(admin/orders.py) shows these inlines.
"""

from django.contrib import admin
from django.utils.html import format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin import AccessLogAdmin, ReadOnlyStackedInline
from core.throttle import client_ip

from ..models import ArrivalCheckIn, CareRecipient, CareRecipientAccess, CompletionReport
from ..services.care import STAFF_PERMISSION, log_staff_access


class CareRecipientInline(ReadOnlyStackedInline):
    model = CareRecipient
    verbose_name_plural = _("person cared for")
    fields = (
        "full_name",
        "age",
        "mobility",
        "condition_list",
        "other_conditions",
        "language",
        "special_needs",
        "created_at",
    )

    def has_view_permission(self, request, obj=None):
        return request.user.is_staff and request.user.has_perm(STAFF_PERMISSION)

    def get_formset(self, request, obj=None, **kwargs):
        # Called once per rendering of the order's page: that is a read of the details.
        recipient = CareRecipient.objects.filter(order=obj).first() if obj else None
        if recipient is not None:
            log_staff_access(
                care_recipient=recipient, user=request.user, ip_address=client_ip(request) or None
            )
        return super().get_formset(request, obj, **kwargs)

    @admin.display(description=_("conditions"))
    def condition_list(self, obj):
        return ", ".join(str(label) for label in obj.condition_labels) or "-"


class ArrivalCheckInInline(ReadOnlyStackedInline):
    model = ArrivalCheckIn
    fields = ("at", "provider", "checklist", "has_differences", "differences")

    @admin.display(description=_("details confirmed"))
    def checklist(self, obj):
        return format_html_join(
            "", "<div>✓ {}</div>", ((gettext(label),) for label in obj.confirmed_labels)
        )


class CompletionReportInline(ReadOnlyStackedInline):
    model = CompletionReport
    fields = ("at", "provider", "summary", "options")

    @admin.display(description=_("options booked"))
    def options(self, obj):
        if not obj.options_done:
            return "-"
        return format_html_join(
            "",
            "<div>{} {}</div>",
            (
                ("✓" if option["done"] else "✗ " + gettext("not done:"), gettext(option["name"]))
                for option in obj.options_done
            ),
        )


@admin.register(CareRecipientAccess)
class CareRecipientAccessAdmin(AccessLogAdmin):
    search_fields = (*AccessLogAdmin.search_fields, "care_recipient__order__id")
