"""Rewards (R-MAT-4): read-only here; given and ended by actions on the provider list."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ..models import ProviderReward


class RewardForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
    days = forms.IntegerField(
        label=_("Days"),
        min_value=1,
        max_value=366,
        initial=30,
        required=False,
        help_text=_("Empty: until the reward is ended."),
    )


@admin.register(ProviderReward)
class ProviderRewardAdmin(admin.ModelAdmin):
    list_display = ("provider", "starts", "ends", "created_by", "reason")
    list_filter = ("starts",)
    search_fields = ("provider__user__full_name", "provider__user__phone", "reason")
    list_select_related = ("provider__user", "created_by")
    readonly_fields = ("provider", "reason", "starts", "ends", "created_by", "created_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
