from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models.fields import reference, user_reference
from orders.models import Order
from providers.models import Provider

SCORE_VALIDATORS = [MinValueValidator(1), MaxValueValidator(5)]


class Rating(models.Model):
    """The customer's verdict on one completed job: three scores of 1 to 5 and a comment."""

    order = models.OneToOneField(
        Order, models.PROTECT, related_name="rating", verbose_name=_("order")
    )
    provider = reference(Provider, _("provider"), related_name="ratings")
    customer = user_reference(_("customer"), related_name="ratings_given")
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


class FeedbackCallStatus(models.TextChoices):
    OPEN = "open", _("To call")
    DONE = "done", _("Called")
    UNREACHABLE = "unreachable", _("Could not be reached")


class FeedbackCallOutcome(models.TextChoices):
    FEEDBACK_GIVEN = "feedback_given", _("Customers' feedback passed on")
    PROVIDER_DISPUTES = "provider_disputes", _("The provider disputes the feedback")
    TRAINING_ADVISED = "training_advised", _("Further training advised")
    OTHER = "other", _("Other")


class ProviderFeedbackCall(models.Model):
    """A call to a provider after every N completed orders to relay what customers said (R-VET-8).

    The ratings attached when the call is put on the list are the ones the operator reads out.
    """

    provider = reference(Provider, _("provider"), related_name="feedback_calls")
    milestone = models.PositiveIntegerField(
        _("completed orders"),
        help_text=_("The provider's number of completed orders that put this call on the list."),
    )
    created_at = models.DateTimeField(_("listed"), auto_now_add=True)
    due_at = models.DateTimeField(_("call by"), db_index=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=FeedbackCallStatus.choices,
        default=FeedbackCallStatus.OPEN,
    )
    ratings = models.ManyToManyField(
        Rating, blank=True, related_name="feedback_calls", verbose_name=_("customers' ratings")
    )
    called_by = user_reference(_("called by"), optional=True)
    called_at = models.DateTimeField(_("called"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=30, choices=FeedbackCallOutcome.choices, blank=True
    )
    notes = models.TextField(_("what was said"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("provider feedback call")
        verbose_name_plural = _("provider feedback calls")
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "milestone"], name="feedback_call_once_per_milestone"
            ),
            models.CheckConstraint(
                condition=Q(status__in=FeedbackCallStatus.values),
                name="feedback_call_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status=FeedbackCallStatus.DONE) | ~Q(outcome=""),
                name="feedback_call_done_has_outcome",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_at"])]

    def __str__(self):
        return f"{self.provider} · {self.milestone}"
