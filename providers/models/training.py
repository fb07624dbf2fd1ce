from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import Signature, VersionedText
from core.models.fields import reference, user_reference

from .core import Provider


class Course(models.Model):
    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=150)
    description = models.TextField(_("description"), blank=True)
    pass_mark = models.PositiveSmallIntegerField(
        _("pass mark (of 100)"), validators=[MaxValueValidator(100)], default=70
    )
    required_for_activation = models.BooleanField(_("required before activation"), default=True)
    is_retraining = models.BooleanField(
        _("retraining course"),
        default=False,
        help_text=_("Assigned to providers suspended for low ratings."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("course")
        verbose_name_plural = _("courses")

    def __str__(self):
        return self.name


class TrainingSession(models.Model):
    course = reference(Course, _("course"), related_name="sessions", on_delete=models.CASCADE)
    starts_at = models.DateTimeField(_("starts"))
    location = models.CharField(_("place"), max_length=200, blank=True)
    instructor = user_reference(_("instructor"), staff_only=True)

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")

    def __str__(self):
        return f"{self.course} · {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"


class EnrollmentPurpose(models.TextChoices):
    ONBOARDING = "onboarding", _("Before activation")
    RETRAINING = "retraining", _("Retraining after suspension")


class Enrollment(models.Model):
    """One provider in one course: the score, whether it passed, an instructor's flag."""

    provider = reference(
        Provider, _("provider"), related_name="enrollments", on_delete=models.CASCADE
    )
    course = reference(Course, _("course"), related_name="enrollments")
    session = reference(
        TrainingSession,
        _("session"),
        related_name="enrollments",
        optional=True,
        on_delete=models.SET_NULL,
    )
    purpose = models.CharField(
        _("purpose"),
        max_length=20,
        choices=EnrollmentPurpose.choices,
        default=EnrollmentPurpose.ONBOARDING,
    )
    score = models.PositiveSmallIntegerField(
        _("score (of 100)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    passed = models.BooleanField(_("passed"), null=True, blank=True)
    graded_by = user_reference(_("graded by"), optional=True)
    graded_at = models.DateTimeField(_("graded"), null=True, blank=True)
    flagged_weak = models.BooleanField(_("flagged as a weak learner"), default=False)
    flag_note = models.TextField(_("instructor's note"), blank=True)
    created_at = models.DateTimeField(_("enrolled"), auto_now_add=True)

    class Meta:
        ordering = ["provider", "course"]
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")
        constraints = [
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__lte=100), name="enrollment_score_range"
            ),
            models.UniqueConstraint(
                fields=["provider", "course"],
                condition=Q(passed__isnull=True),
                name="enrollment_one_open_per_course",
            ),
        ]

    def __str__(self):
        return f"{self.provider} · {self.course}"


class CommitmentText(VersionedText):
    """A version of the written commitment to quality, in one language."""

    class Meta(VersionedText.Meta):
        verbose_name = _("commitment text")
        verbose_name_plural = _("commitment texts")


class CommitmentSignature(Signature):
    """An electronic signature of the exact commitment text. Never changed once written (a
    database trigger backs this on PostgreSQL)."""

    provider = models.OneToOneField(
        Provider, models.PROTECT, related_name="commitment", verbose_name=_("provider")
    )
    text = reference(CommitmentText, _("text"), related_name="signatures")

    class Meta:
        verbose_name = _("commitment signature")
        verbose_name_plural = _("commitment signatures")

    def __str__(self):
        return f"{self.provider} · {timezone.localtime(self.signed_at):%Y-%m-%d}"
