"""The catalogue: what can be booked, grouped by category, with its extra options.

Prices live in the versioned price book (orders/models/pricebook.py), not here.
"""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.models.fields import reference
from providers.models import ProviderTier, Skill


class ServiceCategory(models.Model):
    """A group of services shown together: home cleaning, elderly care, repairs..."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    ordering = models.PositiveSmallIntegerField(
        _("position"), default=0, help_text=_("Lower numbers are shown first.")
    )
    is_active = models.BooleanField(_("shown"), default=True)

    class Meta:
        ordering = ["ordering", "name"]
        verbose_name = _("service category")
        verbose_name_plural = _("service categories")

    def __str__(self):
        return self.name


class PaymentTiming(models.TextChoices):
    AT_BOOKING = "at_booking", _("At booking (held until the job is done)")
    AFTER_COMPLETION = "after_completion", _("After the job is done")


class ServiceType(models.Model):
    """A bookable service: who may do it and how long it takes. Its price is in the price book."""

    category = reference(
        ServiceCategory, _("category"), related_name="service_types", optional=True
    )
    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    required_skills = models.ManyToManyField(
        Skill, related_name="service_types", verbose_name=_("required skills")
    )
    minimum_tier = models.CharField(
        _("minimum qualification tier"),
        max_length=20,
        choices=ProviderTier.choices,
        default=ProviderTier.STANDARD,
        help_text=_("Only providers of this tier or higher may do this service."),
    )
    # The job's length: the price book's rule gives the work (per m² or the hours booked), these
    # bound it; options add their extra minutes on top.
    minimum_minutes = models.PositiveIntegerField(_("shortest job (minutes)"), default=120)
    maximum_minutes = models.PositiveIntegerField(_("longest job (minutes)"), default=240)
    is_active = models.BooleanField(_("bookable"), default=True)
    # Elderly care and the like: intake asks about the person cared for (R-ORD-1).
    asks_about_person_cared_for = models.BooleanField(
        _("asks about the person cared for"), default=False
    )

    # When the customer pays (R-PAY-2): at booking, the money is held until the job is done
    # (refunded if cancelled); after completion, the customer pays for the job once done.
    payment_timing = models.CharField(
        _("customer pays"),
        max_length=20,
        choices=PaymentTiming.choices,
        default=PaymentTiming.AT_BOOKING,
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("service type")
        verbose_name_plural = _("service types")
        constraints = [
            models.CheckConstraint(
                condition=Q(maximum_minutes__gte=F("minimum_minutes")),
                name="service_duration_bounds",
            ),
        ]

    def __str__(self):
        return self.name

    def accepts_tier(self, tier: str) -> bool:
        """A provider of `tier` is qualified for this service."""
        return ProviderTier.rank(tier) >= ProviderTier.rank(self.minimum_tier)


class ServiceOption(models.Model):
    """An extra the customer may add to a service (inside the fridge, windows, balcony...).
    Its price is in the price book; its extra minutes lengthen the job."""

    service_type = reference(
        ServiceType, _("service"), related_name="options", on_delete=models.CASCADE
    )
    code = models.SlugField(_("code"), max_length=50)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    extra_minutes = models.PositiveIntegerField(_("extra minutes"), default=0)
    ordering = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("offered"), default=True)

    class Meta:
        ordering = ["ordering", "name"]
        verbose_name = _("service option")
        verbose_name_plural = _("service options")
        constraints = [
            models.UniqueConstraint(
                fields=["service_type", "code"], name="service_option_code_per_service"
            )
        ]

    def __str__(self):
        return self.name
