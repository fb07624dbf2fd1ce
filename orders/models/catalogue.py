"""The catalogue: what can be booked and how its price and duration follow."""

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from providers.models import Skill


class ServiceType(models.Model):
    """A bookable service and how its price and duration follow from the home's area."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    required_skills = models.ManyToManyField(
        Skill, related_name="service_types", verbose_name=_("required skills")
    )
    base_price = models.DecimalField(
        _("base price"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    price_per_sqm = models.DecimalField(
        _("price per m²"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    minimum_price = models.DecimalField(
        _("minimum price"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(0)],
    )
    minutes_per_sqm = models.DecimalField(
        _("minutes per m²"), max_digits=6, decimal_places=2, validators=[MinValueValidator(0)]
    )
    minimum_minutes = models.PositiveIntegerField(_("shortest job (minutes)"), default=120)
    maximum_minutes = models.PositiveIntegerField(_("longest job (minutes)"), default=240)
    is_active = models.BooleanField(_("bookable"), default=True)
    # Elderly care and the like: intake asks about the person cared for (R-ORD-1).
    asks_about_person_cared_for = models.BooleanField(
        _("asks about the person cared for"), default=False
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
