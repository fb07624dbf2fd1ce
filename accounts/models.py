from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from core.models.fields import user_reference


class Role(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    PROVIDER = "provider", _("Provider")
    OPERATOR = "operator", _("Operator")


class StaffGroup(models.TextChoices):
    """Permission groups for operators; created by a data migration."""

    VETTING = "vetting", _("Vetting")
    SUPPORT = "support", _("Support")
    QUALITY = "quality", _("Quality control")
    # Refunds, adjustments, payouts and the money overview.
    FINANCE = "finance", _("Finance")


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, phone, password=None, **extra_fields):
        if not phone:
            raise ValueError("A phone number is required.")
        user = self.model(phone=phone, **extra_fields)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_superuser(self, phone, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        extra_fields.setdefault("role", Role.OPERATOR)
        return self.create_user(phone, password, **extra_fields)


FULL_NAME_MAX = 150


class User(AbstractBaseUser, PermissionsMixin):
    """Everyone who signs in: customers, providers and operators. The phone number is the login."""

    phone = PhoneNumberField(_("phone number"), unique=True)
    full_name = models.CharField(_("full name"), max_length=FULL_NAME_MAX)
    email = models.EmailField(_("email address"), blank=True)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.CUSTOMER)
    preferred_language = models.CharField(_("preferred language"), max_length=10, blank=True)
    is_staff = models.BooleanField(
        _("staff status"), default=False, help_text=_("Can log in to the admin site.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "phone"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return f"{self.full_name} ({self.phone})" if self.full_name else str(self.phone)

    @property
    def first_name(self):
        return self.full_name.split(" ")[0] if self.full_name else ""

    def get_full_name(self):
        return self.full_name

    def get_short_name(self):
        return self.first_name

    @property
    def is_customer(self):
        return self.role == Role.CUSTOMER

    @property
    def is_provider(self):
        return self.role == Role.PROVIDER


class CodePurpose(models.TextChoices):
    """What a phone code proves the number for: a code is good only for its own purpose."""

    NEW_ACCOUNT = "new_account", _("New account")
    PASSWORD_RESET = "password_reset", _("Password reset")


class PhoneVerification(models.Model):
    """A one-time code sent by SMS to prove a phone number belongs to the person typing it.

    A row is written for every request, also when no code is sent (the number already has an
    account, or none to reset): the pages answer alike either way and never say which."""

    phone = PhoneNumberField(_("phone number"), db_index=True)
    purpose = models.CharField(
        _("purpose"), max_length=20, choices=CodePurpose.choices, default=CodePurpose.NEW_ACCOUNT
    )
    code_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(_("sent"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    attempts = models.PositiveSmallIntegerField(_("wrong attempts"), default=0)
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("phone verification")
        verbose_name_plural = _("phone verifications")

    def __str__(self):
        return f"{self.phone} · {self.created_at:%Y-%m-%d %H:%M}"


class TokenRevocation(models.TextChoices):
    """Why an API token stopped working before it expired."""

    LOGOUT = "logout", _("Logged out in the app")
    REPLACED = "replaced", _("A new login on the same device, or too many devices")
    PASSWORD = "password", _("Password changed")
    DEACTIVATED = "deactivated", _("Account deactivated")
    PROVIDER = "provider", _("Provider suspended or removed")
    OPERATOR = "operator", _("Signed out everywhere by an operator")


class ApiToken(models.Model):
    """A key the mobile app sends as `Authorization: Token <key>`, one per login (a device may
    hold one; a new login on the same device replaces it). Only the key's SHA-256 is stored:
    a database leak reveals no working key. A token works until `expires_at` (API_TOKEN_TTL_DAYS
    after the login) unless revoked first; revoked rows keep who, when and why until the
    daily purge."""

    key_hash = models.CharField(_("SHA-256 of the key"), max_length=64, unique=True)
    user = user_reference(
        _("user"), on_delete=models.CASCADE, related_name="api_tokens", db_index=True
    )
    device = models.CharField(_("device"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"), db_index=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_why = models.CharField(
        _("why revoked"), max_length=20, choices=TokenRevocation.choices, blank=True
    )
    revoked_by = user_reference(
        _("revoked by"),
        optional=True,
        on_delete=models.SET_NULL,
        help_text=_("Empty when the user or the platform revoked it."),
    )
    revoked_note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.user_id} · {self.device or '-'} · {self.created_at:%Y-%m-%d %H:%M}"
