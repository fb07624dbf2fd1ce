from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Skill(models.Model):
    """A kind of work a provider can do; service types require skills."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["name"]
        verbose_name = _("skill")
        verbose_name_plural = _("skills")

    def __str__(self):
        return self.name


class ServiceArea(models.Model):
    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(_("served"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("service area")
        verbose_name_plural = _("service areas")

    def __str__(self):
        return self.name


class ProviderStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    REMOVED = "removed", _("Removed")


class Provider(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="provider",
        verbose_name=_("user"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ProviderStatus.choices, default=ProviderStatus.ACTIVE
    )
    skills = models.ManyToManyField(Skill, related_name="providers", verbose_name=_("skills"))
    areas = models.ManyToManyField(
        ServiceArea, related_name="providers", verbose_name=_("service areas")
    )
    experience_years = models.PositiveSmallIntegerField(_("years of experience"), default=0)
    bio = models.TextField(_("about"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    status_changed_at = models.DateTimeField(_("status changed"), null=True, blank=True)

    class Meta:
        ordering = ["user__full_name"]
        verbose_name = _("provider")
        verbose_name_plural = _("providers")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ProviderStatus.values), name="provider_status_valid"
            ),
        ]

    def __str__(self):
        return self.user.full_name or str(self.user.phone)

    @property
    def first_name(self):
        return self.user.first_name


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class WorkingHours(models.Model):
    """A weekly window in local time when the provider takes jobs."""

    provider = models.ForeignKey(
        Provider,
        on_delete=models.CASCADE,
        related_name="working_hours",
        verbose_name=_("provider"),
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    starts = models.TimeField(_("from"))
    ends = models.TimeField(_("until"))

    class Meta:
        ordering = ["provider", "weekday", "starts"]
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends__gt=models.F("starts")), name="hours_end_after_start"
            ),
            models.UniqueConstraint(
                fields=["provider", "weekday", "starts"], name="hours_unique_start"
            ),
        ]
        indexes = [models.Index(fields=["weekday", "starts", "ends"])]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.starts:%H:%M}-{self.ends:%H:%M}"


class ProviderEvent(models.Model):
    """Append-only audit of every provider status change."""

    provider = models.ForeignKey(
        Provider, on_delete=models.CASCADE, related_name="events", verbose_name=_("provider")
    )
    from_status = models.CharField(
        _("from"), max_length=20, choices=ProviderStatus.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=20, choices=ProviderStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
        help_text=_("Empty when the platform acted on its own."),
    )
    reason = models.TextField(_("reason"))
    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("provider event")
        verbose_name_plural = _("provider events")

    def __str__(self):
        return f"{self.provider}: {self.from_status or '-'} → {self.to_status}"
