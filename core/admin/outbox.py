"""What the platform said to whom (messages) and the work waiting after commits (the outbox):
read-only lists for support and operators; an operator may hand waiting work over again."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ..models import OutboxTask, OutgoingMessage
from ..outbox import publish
from .readonly import ReadOnlyAdmin


@admin.register(OutgoingMessage)
class OutgoingMessageAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "channel", "recipient", "user", "template", "status", "sent_at")
    list_filter = ("status", "channel", "created_at")
    search_fields = ("recipient", "user__full_name", "template")
    date_hierarchy = "created_at"
    list_select_related = ("user",)
    fields = (
        ("channel", "recipient", "user"),
        ("template", "status"),
        ("created_at", "not_after", "sent_at"),
        "subject",
        "body",
    )


class WaitingFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("waiting", _("Waiting")), ("done", _("Done")), ("dropped", _("Dropped"))]

    def queryset(self, request, queryset):
        match self.value():
            case "waiting":
                return queryset.filter(done_at__isnull=True)
            case "done":
                return queryset.filter(done_at__isnull=False, dropped=False)
            case "dropped":
                return queryset.filter(dropped=True)
        return queryset


@admin.register(OutboxTask)
class OutboxTaskAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "function",
        "args",
        "published_at",
        "attempts",
        "done_at",
        "dropped",
    )
    list_filter = (WaitingFilter, "function")
    search_fields = ("function",)
    date_hierarchy = "created_at"
    actions = ["hand_over_again"]

    @admin.action(description=_("Hand the selected waiting tasks to the workers again"))
    def hand_over_again(self, request, queryset):
        waiting = list(queryset.filter(done_at__isnull=True).values_list("pk", flat=True))
        handed = publish(waiting, relaying=True)
        messages.info(
            request,
            ngettext("%(count)d task handed over.", "%(count)d tasks handed over.", handed)
            % {"count": handed},
        )

    def get_actions(self, request):
        # Actions need no change permission here: handing over changes nothing but the queue.
        actions = super().get_actions(request)
        if not request.user.is_superuser:
            actions.pop("hand_over_again", None)
        return actions
