"""Admin for the catalogue and the versioned price book (R-ORD-2).

A published price book version is read-only here (and refused by the models); staff change
prices by making a new draft from a version, editing it, and publishing it."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from ..models import (
    PriceBook,
    PriceBookStatus,
    PriceRule,
    ServiceCategory,
    ServiceOption,
    ServiceType,
)
from ..services.pricebook import (
    EDIT_PERMISSION,
    PUBLISH_PERMISSION,
    copy_price_book,
    publish_price_book,
)


@admin.register(ServiceCategory)
class ServiceCategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "ordering", "is_active")
    list_editable = ("ordering", "is_active")
    search_fields = ("name", "code")


class ServiceOptionInline(admin.TabularInline):
    model = ServiceOption
    extra = 0
    fields = ("code", "name", "description", "extra_minutes", "ordering", "is_active")


@admin.register(ServiceType)
class ServiceTypeAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "category", "minimum_tier", "is_active")
    list_filter = ("category", "minimum_tier", "is_active", "asks_about_person_cared_for")
    search_fields = ("name", "code")
    filter_horizontal = ("required_skills",)
    inlines = [ServiceOptionInline]


class PriceRuleInline(admin.StackedInline):
    model = PriceRule
    extra = 0
    fields = (
        "service_type",
        ("unit", "base_price", "rate", "minimum_price"),
        "minutes_per_sqm",
        "difficulty_multipliers",
        "tier_multipliers",
        "option_prices",
    )

    def _locked(self, obj):
        return obj is not None and obj.status == PriceBookStatus.PUBLISHED

    def has_add_permission(self, request, obj=None):
        return not self._locked(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not self._locked(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._locked(obj) and super().has_delete_permission(request, obj)


@admin.register(PriceBook)
class PriceBookAdmin(admin.ModelAdmin):
    list_display = (
        "number",
        "status",
        "valid_from",
        "published_at",
        "published_by",
        "created_by",
        "note",
    )
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
    inlines = [PriceRuleInline]
    actions = ["new_draft_from_version", "publish_versions"]

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.status == PriceBookStatus.PUBLISHED:
            return False  # read-only once published: view permission still shows it
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.status == PriceBookStatus.PUBLISHED:
            return False
        return super().has_delete_permission(request, obj)

    def get_changeform_initial_data(self, request):

        top = PriceBook.objects.aggregate(top=Max("number"))["top"] or 0
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
            draft = copy_price_book(source=queryset.get(), actor=request.user)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return
        self.message_user(
            request,
            _("Draft version %(number)s created; edit and publish it.") % {"number": draft.number},
        )

    @admin.action(description=_("Publish"), permissions=["publish"])
    def publish_versions(self, request, queryset):
        for book in queryset.order_by("number"):
            try:
                publish_price_book(price_book=book, actor=request.user)
            except ValidationError as exc:
                self.message_user(request, f"{book}: {' '.join(exc.messages)}", messages.ERROR)
            else:
                self.message_user(request, _("%(book)s published.") % {"book": book})

    def has_copy_permission(self, request):
        return request.user.has_perm(EDIT_PERMISSION)

    def has_publish_permission(self, request):
        return request.user.has_perm(PUBLISH_PERMISSION)
