from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from accounts.admin_actions import action_with_reason

from .. import services
from ..models import Provider, ProviderEvent, ProviderSkill, ServiceArea, Skill, WorkingHours


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ("name", "code")
    search_fields = ("name", "code")


@admin.register(ServiceArea)
class ServiceAreaAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "code")


class ProviderSkillInline(admin.TabularInline):
    model = ProviderSkill
    extra = 0


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    extra = 0


class ProviderEventInline(admin.TabularInline):
    model = ProviderEvent
    extra = 0
    can_delete = False
    fields = ("at", "from_status", "to_status", "actor", "reason")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "phone",
        "status",
        "experience_years",
        "skill_count",
        "status_changed_at",
    )
    list_filter = ("status", "skills", "areas")
    search_fields = ("user__phone", "user__full_name")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    filter_horizontal = ("areas",)
    readonly_fields = ("status", "status_changed_at", "created_at")
    inlines = [ProviderSkillInline, WorkingHoursInline, ProviderEventInline]
    actions = [
        action_with_reason(
            name="suspend",
            description=_("Suspend the selected providers"),
            service=lambda p, **kw: services.suspend_provider(provider=p, **kw),
        ),
        action_with_reason(
            name="reinstate",
            description=_("Reinstate the selected providers"),
            service=lambda p, **kw: services.reinstate_provider(provider=p, **kw),
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(skill_total=Count("skills", distinct=True))

    @admin.display(description=_("phone"), ordering="user__phone")
    def phone(self, obj):
        return obj.user.phone

    @admin.display(description=_("skills"), ordering="skill_total")
    def skill_count(self, obj):
        return obj.skill_total


@admin.register(ProviderEvent)
class ProviderEventAdmin(admin.ModelAdmin):
    list_display = ("at", "provider", "from_status", "to_status", "actor", "reason")
    list_filter = ("to_status", "at")
    search_fields = ("provider__user__phone", "provider__user__full_name", "reason")
    list_select_related = ("provider__user", "actor")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
