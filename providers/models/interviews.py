from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models.fields import reference, user_reference

from .core import Provider


class Criterion(models.TextChoices):
    """The six things an interview scores (R-VET-3)."""

    PHYSICAL_ABILITY = "physical_ability", _("Physical ability")
    SKILLS = "skills", _("Skills")
    APPEARANCE_ETHICS = "appearance_ethics", _("Appearance and ethics")
    RESPONSIBILITY = "responsibility", _("Responsibility")
    DISCIPLINE = "discipline", _("Discipline")
    HONESTY = "honesty", _("Honesty")


class InterviewStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")
    NO_SHOW = "no_show", _("Applicant did not come")


class Interview(models.Model):
    provider = reference(
        Provider, _("applicant"), related_name="interviews", on_delete=models.CASCADE
    )
    interviewer = user_reference(
        _("interviewer"),
        related_name="interviews_to_conduct",
        staff_only=True,
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    location = models.CharField(_("place"), max_length=200)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=InterviewStatus.choices,
        default=InterviewStatus.SCHEDULED,
    )
    scheduled_by = user_reference(_("scheduled by"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("interview")
        verbose_name_plural = _("interviews")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="interview_ends_after_start"
            ),
            # On PostgreSQL an exclusion constraint (migration) also forbids one interviewer
            # holding two scheduled interviews at once.
        ]
        indexes = [models.Index(fields=["interviewer", "starts_at"])]

    def __str__(self):
        return f"{self.provider} · {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"


SCORE = [MinValueValidator(1), MaxValueValidator(5)]


class Scorecard(models.Model):
    """The interviewer's scores; pass or fail follows from them and the configured weights."""

    interview = models.OneToOneField(
        Interview, models.CASCADE, related_name="scorecard", verbose_name=_("interview")
    )
    physical_ability = models.PositiveSmallIntegerField(_("physical ability"), validators=SCORE)
    physical_ability_notes = models.TextField(_("notes on physical ability"), blank=True)
    skills = models.PositiveSmallIntegerField(_("skills"), validators=SCORE)
    skills_notes = models.TextField(_("notes on skills"), blank=True)
    appearance_ethics = models.PositiveSmallIntegerField(
        _("appearance and ethics"), validators=SCORE
    )
    appearance_ethics_notes = models.TextField(_("notes on appearance and ethics"), blank=True)
    responsibility = models.PositiveSmallIntegerField(_("responsibility"), validators=SCORE)
    responsibility_notes = models.TextField(_("notes on responsibility"), blank=True)
    discipline = models.PositiveSmallIntegerField(_("discipline"), validators=SCORE)
    discipline_notes = models.TextField(_("notes on discipline"), blank=True)
    honesty = models.PositiveSmallIntegerField(_("honesty"), validators=SCORE)
    honesty_notes = models.TextField(_("notes on honesty"), blank=True)
    # The result as decided, with the weights and pass mark in force at that moment.
    weighted_score = models.DecimalField(_("weighted score"), max_digits=4, decimal_places=2)
    pass_mark = models.DecimalField(_("pass mark"), max_digits=4, decimal_places=2)
    weights = models.JSONField(_("weights"))
    passed = models.BooleanField(_("passed"))
    recorded_by = user_reference(_("recorded by"))
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("scorecard")
        verbose_name_plural = _("scorecards")
        constraints = [
            models.CheckConstraint(
                condition=Q(physical_ability__range=(1, 5))
                & Q(skills__range=(1, 5))
                & Q(appearance_ethics__range=(1, 5))
                & Q(responsibility__range=(1, 5))
                & Q(discipline__range=(1, 5))
                & Q(honesty__range=(1, 5)),
                name="scorecard_scores_1_to_5",
            ),
        ]

    def __str__(self):
        return f"{self.interview}: {self.weighted_score}"
