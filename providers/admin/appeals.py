"""Suspension appeals (R-VET-7): unanswered first; a manager upholds or dismisses with an answer."""

from django.contrib import admin
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from core.admin.actions import action_with_reason

from ..models import AppealDecision, SuspensionAppeal
from ..services.appeals import answer_appeal


def _answer_action(name, description, decision):
    action = action_with_reason(
        name=name,
        description=description,
        service=lambda appeal, *, actor, reason: answer_appeal(
            appeal=appeal, actor=actor, decision=decision, answer=reason
        ),
    )
    action.allowed_permissions = ("change",)
    return action


@admin.register(SuspensionAppeal)
class SuspensionAppealAdmin(admin.ModelAdmin):
    list_display = (
        "provider",
        "phone",
        "submitted_at",
        "suspended_for",
        "answer_state",
        "answered_by",
        "answered_at",
    )
    list_filter = ("decision", ("answered_at", admin.EmptyFieldListFilter), "submitted_at")
    search_fields = ("provider__user__full_name", "provider__user__phone")
    list_select_related = ("provider__user", "suspension", "answered_by")
    # Unanswered first (no answer date), then the oldest waiting first.
    ordering = (F("answered_at").desc(nulls_first=True), "submitted_at")
    fields = (
        "provider",
        "suspension",
        "suspension_reason",
        "text",
        "submitted_at",
        "decision",
        "answer",
        "answered_by",
        "answered_at",
    )
    readonly_fields = fields
    actions = [
        _answer_action(
            "uphold",
            _("Uphold the selected appeals (reinstates the provider)"),
            AppealDecision.UPHELD,
        ),
        _answer_action(
            "dismiss",
            _("Dismiss the selected appeals (the suspension stands)"),
            AppealDecision.DISMISSED,
        ),
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("phone"), ordering="provider__user__phone")
    def phone(self, obj):
        return obj.provider.user.phone

    @admin.display(description=_("suspended"), ordering="suspension__at")
    def suspended_for(self, obj):
        return obj.suspension.at

    @admin.display(description=_("reason for the suspension"))
    def suspension_reason(self, obj):
        return _(obj.suspension.reason) if obj.suspension.reason else ""

    @admin.display(description=_("decision"), ordering="decision")
    def answer_state(self, obj):
        return obj.get_decision_display() if obj.decision else _("Waiting for an answer")
