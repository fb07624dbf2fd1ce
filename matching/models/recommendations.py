"""The providers recommended to a customer, who picks one of a round (R-MAT-2)."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models.fields import reference
from orders.models import Order
from providers.models import Provider


class RecommendationStatus(models.TextChoices):
    SHOWN = "shown", _("Shown to the customer")
    CHOSEN = "chosen", _("Chosen by the customer")
    PASSED = "passed", _("Passed over")


class Recommendation(models.Model):
    """A provider proposed to the customer, who picks one of a round of up to three (R-MAT-2).

    Rounds count up: "show me others" passes the shown ones and the next round never shows
    them again (unique per order and provider). `score` holds the Score's features, parts and
    total (matching.scoring.Score.as_dict), so the reasons can be shown in the viewer's language
    and staff can audit why.
    """

    order = reference(Order, _("order"), related_name="recommendations", on_delete=models.CASCADE)
    provider = reference(
        Provider, _("provider"), related_name="recommendations", on_delete=models.CASCADE
    )
    round = models.PositiveSmallIntegerField(_("round"))
    rank = models.PositiveSmallIntegerField(_("rank"))
    score = models.JSONField(_("score"))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=RecommendationStatus.choices,
        default=RecommendationStatus.SHOWN,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        ordering = ["order", "round", "rank"]
        verbose_name = _("recommendation")
        verbose_name_plural = _("recommendations")
        constraints = [
            models.UniqueConstraint(fields=["order", "provider"], name="recommend_provider_once"),
            models.UniqueConstraint(fields=["order", "round", "rank"], name="recommend_rank_once"),
            models.CheckConstraint(
                condition=Q(status__in=RecommendationStatus.values),
                name="recommendation_status_valid",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"])]
        permissions = [
            ("audit_matching", _("Can see every candidate of an order and assign by hand")),
        ]

    def __str__(self):
        return f"{self.order} #{self.round}.{self.rank} → {self.provider}"

    @property
    def total(self) -> float:
        return float(self.score.get("total", 0.0))
