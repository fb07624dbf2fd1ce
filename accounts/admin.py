from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from core.admin import PhoneSearchMixin, ReadOnlyTabularInline, action_with_reason

from .forms import UserPasswordAdminForm
from .models import ApiToken, TokenRevocation, User
from .services import revoke_api_tokens, sign_out_everywhere


class UserCreationAdminForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("phone", "full_name", "role")


class UserChangeAdminForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class ApiTokenInline(ReadOnlyTabularInline):
    """The app's logins: when, which device, until when, and who ended them and why (the key
    itself is never stored)."""

    model = ApiToken
    fk_name = "user"
    fields = (
        "device",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
        "revoked_why",
        "revoked_by",
        "revoked_note",
    )
    verbose_name_plural = _("Signed in to the app")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("revoked_by")


@admin.register(User)
class UserAdmin(PhoneSearchMixin, BaseUserAdmin):
    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
    change_password_form = UserPasswordAdminForm
    inlines = [ApiTokenInline]
    actions = [
        action_with_reason(
            name="sign_out_everywhere",
            description=_("Sign out of the app everywhere"),
            service=sign_out_everywhere,
            subject="user",
        )
    ]
    ordering = ("-date_joined",)
    list_display = ("phone", "full_name", "role", "is_staff", "is_active", "date_joined")
    list_filter = ("role", "is_staff", "is_active", "groups")
    search_fields = ("phone", "full_name", "email")
    fieldsets = (
        (None, {"fields": ("phone", "password")}),
        (_("Personal info"), {"fields": ("full_name", "email", "preferred_language", "role")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("phone", "full_name", "role", "password1", "password2"),
            },
        ),
    )

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []  # a new user has signed in nowhere

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            revoke_api_tokens(user=obj, why=TokenRevocation.DEACTIVATED, actor=request.user)
