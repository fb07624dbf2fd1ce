from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from orders.models import Order
from providers.models import Provider

SCORE_VALIDATORS = [MinValueValidator(1), MaxValueValidator(5)]


class Rating(models.Model):
    """The customer's verdict on one completed job: three scores of 1 to 5 and a comment."""

    order = models.OneToOneField(
        Order, on_delete=models.PROTECT, related_name="rating", verbose_name=_("order")
    )
    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, related_name="ratings", verbose_name=_("provider")
    )
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="ratings_given",
        verbose_name=_("customer"),
    )
    attitude = models.PositiveSmallIntegerField(_("attitude"), validators=SCORE_VALIDATORS)
    result = models.PositiveSmallIntegerField(_("result"), validators=SCORE_VALIDATORS)
    compliance = models.PositiveSmallIntegerField(
        _("kept to the contract"), validators=SCORE_VALIDATORS
    )
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("rated"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        constraints = [
            models.CheckConstraint(
                condition=Q(attitude__range=(1, 5))
                & Q(result__range=(1, 5))
                & Q(compliance__range=(1, 5)),
                name="rating_scores_1_to_5",
            ),
        ]
        indexes = [models.Index(fields=["provider", "-created_at"])]

    def __str__(self):
        return f"{self.order}: {self.average:.1f}"

    @property
    def average(self) -> float:
        return (self.attitude + self.result + self.compliance) / 3
