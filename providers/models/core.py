import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.crypto import EncryptedTextField
from core.models import StatusEvent
from core.models.fields import reference, user_reference


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
    # The area's centre, for orders without coordinates of their own (matching by distance).
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("service area")
        verbose_name_plural = _("service areas")

    def __str__(self):
        return self.name


class ProviderStatus(models.TextChoices):
    """One lifecycle from application to removal. providers/services/lifecycle.py moves it."""

    APPLIED = "applied", _("Applied")
    SCREENED = "screened", _("Screened")
    INTERVIEW_SCHEDULED = "interview_scheduled", _("Interview scheduled")
    INTERVIEWED = "interviewed", _("Interview passed")
    IDENTITY_VERIFIED = "identity_verified", _("Identity verified")
    IN_TRAINING = "in_training", _("In training")
    UNDER_REVIEW = "under_review", _("Acceptance under review")
    COMMITMENT_SIGNED = "commitment_signed", _("Commitment signed")
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    PROBATION = "probation", _("On probation")
    REMOVAL_REVIEW = "removal_review", _("Removal under review")
    REMOVED = "removed", _("Removed")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# Only these may receive offers (R-VET-6); a database trigger backs it on PostgreSQL.
BOOKABLE_STATUSES = (ProviderStatus.ACTIVE, ProviderStatus.PROBATION)
# Statuses that exist only after every vetting stage was passed.
VETTED_STATUSES = (
    ProviderStatus.ACTIVE,
    ProviderStatus.SUSPENDED,
    ProviderStatus.PROBATION,
    ProviderStatus.REMOVAL_REVIEW,
)


class ProviderTier(models.TextChoices):
    """Qualification tier set at vetting; a service may require a minimum tier (R-ORD-2) and the
    price book may price a job by the tier of the provider who does it."""

    STANDARD = "standard", _("Standard")
    EXPERIENCED = "experienced", _("Experienced")
    EXPERT = "expert", _("Expert")

    @classmethod
    def rank(cls, tier: str) -> int:
        """0 for standard, higher for more qualified; compare tiers with this."""
        return list(cls.values).index(tier)


class RejectionReason(models.TextChoices):
    INCOMPLETE = "incomplete", _("Application incomplete or inconsistent")
    AREA_NOT_SERVED = "area_not_served", _("We do not work in the applicant's area")
    FAILED_INTERVIEW = "failed_interview", _("Did not pass the interview")
    NO_SHOW = "no_show", _("Did not come to the interview")
    IDENTITY = "identity", _("Identity could not be verified")
    CRIMINAL_RECORD = "criminal_record", _("Background check not passed")
    FAILED_TRAINING = "failed_training", _("Did not pass the training")
    WEAK_LEARNER = "weak_learner", _("Training instructor advised against acceptance")
    QUALITY = "quality", _("Low quality after retraining")
    POACHING = "poaching", _("Arranged work privately with customers")
    OTHER = "other", _("Other")


def provider_photo_path(instance, filename):
    return f"provider-photos/{uuid.uuid4().hex}.jpg"


class Provider(models.Model):
    """A person who applied to work, and, once vetted, works through the platform."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="provider", verbose_name=_("user")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ProviderStatus.choices, default=ProviderStatus.APPLIED
    )
    # Application (R-VET-1). The national ID is encrypted; its keyed hash finds duplicates.
    national_id = EncryptedTextField(_("national ID number"), blank=True)
    national_id_hash = models.CharField(max_length=64, unique=True, null=True, editable=False)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    work_history = models.TextField(_("work history"), blank=True)
    photo = models.ImageField(_("photo"), upload_to=provider_photo_path, blank=True)
    skills = models.ManyToManyField(
        Skill, through="ProviderSkill", related_name="providers", verbose_name=_("skills")
    )
    areas = models.ManyToManyField(
        ServiceArea, related_name="providers", verbose_name=_("service areas")
    )
    experience_years = models.PositiveSmallIntegerField(_("years of experience"), default=0)
    tier = models.CharField(
        _("qualification tier"),
        max_length=20,
        choices=ProviderTier.choices,
        default=ProviderTier.STANDARD,
        help_text=_("Set by vetting staff; some services require a minimum tier."),
    )
    bio = models.TextField(_("about"), blank=True)
    created_at = models.DateTimeField(_("applied"), auto_now_add=True, db_index=True)
    status_changed_at = models.DateTimeField(_("status changed"), null=True, blank=True)
    # Set once, when every vetting stage is complete; the database refuses a vetted status
    # without it.
    vetting_completed_at = models.DateTimeField(_("vetting completed"), null=True, blank=True)
    probation_ratings_left = models.PositiveSmallIntegerField(
        _("ratings left on probation"), default=0
    )
    certificate_warning_sent_at = models.DateTimeField(
        _("certificate expiry warned"), null=True, blank=True
    )
    # Matching (R-MAT-1): home coordinates and how far the provider travels; a provider takes
    # jobs in the areas they serve or within this distance of home.
    latitude = models.FloatField(_("home latitude"), null=True, blank=True)
    longitude = models.FloatField(_("home longitude"), null=True, blank=True)
    travel_radius_km = models.PositiveSmallIntegerField(
        _("travel radius (km)"),
        default=0,
        help_text=_("Jobs this far from home are offered too, besides the areas served."),
    )
    # Kept by reviews.services.rate_order when a rating is saved, so ranking reads no ratings.
    rating_average = models.FloatField(_("average rating"), null=True, blank=True, editable=False)
    rating_count = models.PositiveIntegerField(_("ratings"), default=0, editable=False)
    # The latest review comments, newest first: [{"text", "score", "at"}], at most three.
    recent_reviews = models.JSONField(_("recent reviews"), default=list, blank=True, editable=False)

    class Meta:
        ordering = ["user__full_name"]
        verbose_name = _("provider")
        verbose_name_plural = _("providers")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ProviderStatus.values), name="provider_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=VETTED_STATUSES) | Q(vetting_completed_at__isnull=False),
                name="provider_vetted_before_work",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"]),
            # Matching by distance looks up only providers who travel beyond their areas.
            models.Index(
                fields=["latitude", "longitude"],
                condition=Q(travel_radius_km__gt=0),
                name="provider_home_point",
            ),
        ]

    def __str__(self):
        return self.user.full_name or str(self.user.phone)

    @property
    def first_name(self):
        return self.user.first_name

    @property
    def is_bookable(self) -> bool:
        return self.status in BOOKABLE_STATUSES


class ProviderReward(models.Model):
    """Staff reward a provider for excellent work: matching ranks them higher while it runs
    (R-MAT-4). Rows are kept as the audit (who, why, when); ending one early sets `ends`."""

    provider = reference(Provider, _("provider"), related_name="rewards", on_delete=models.CASCADE)
    reason = models.TextField(_("reason"))
    starts = models.DateTimeField(_("from"))
    ends = models.DateTimeField(_("until"), null=True, blank=True)
    created_by = user_reference(_("by"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-starts", "-id"]
        verbose_name = _("provider reward")
        verbose_name_plural = _("provider rewards")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends__isnull=True) | Q(ends__gte=models.F("starts")),
                name="reward_ends_after_start",
            ),
        ]
        indexes = [models.Index(fields=["provider", "starts", "ends"])]

    def __str__(self):
        return f"{self.provider}: {self.reason[:40]}"


class ProviderSkill(models.Model):
    provider = reference(
        Provider, _("provider"), related_name="skill_levels", on_delete=models.CASCADE
    )
    skill = reference(Skill, _("skill"), related_name="provider_levels")
    years_of_experience = models.PositiveSmallIntegerField(_("years of experience"), default=0)

    class Meta:
        verbose_name = _("provider skill")
        verbose_name_plural = _("provider skills")
        constraints = [
            models.UniqueConstraint(fields=["provider", "skill"], name="provider_skill_once")
        ]

    def __str__(self):
        return f"{self.skill} ({self.years_of_experience})"


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

    provider = reference(
        Provider, _("provider"), related_name="working_hours", on_delete=models.CASCADE
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
        indexes = [
            models.Index(fields=["weekday", "starts", "ends"]),
            # Matching probes each candidate's hours (bench/README.md, matching).
            models.Index(
                fields=["provider", "weekday", "starts", "ends"], name="working_hours_probe"
            ),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.starts:%H:%M}-{self.ends:%H:%M}"


class TimeOff(models.Model):
    """Days a provider does not work: leave, holidays (R-ORD-5)."""

    provider = reference(Provider, _("provider"), related_name="time_off", on_delete=models.CASCADE)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until (inclusive)"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["provider", "starts_on"]
        verbose_name = _("time off")
        verbose_name_plural = _("time off")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="time_off_ends_after_start"
            ),
        ]
        indexes = [models.Index(fields=["starts_on", "ends_on"])]

    def __str__(self):
        return f"{self.provider}: {self.starts_on} - {self.ends_on}"


class ProviderEvent(StatusEvent):
    """Append-only audit of every provider status change (R-SEC-2)."""

    subject_field = "provider"
    statuses = ProviderStatus

    provider = reference(Provider, _("provider"), related_name="events", on_delete=models.CASCADE)
    reason_code = models.CharField(
        _("reason"), max_length=30, choices=RejectionReason.choices, blank=True
    )

    class Meta(StatusEvent.Meta):
        ordering = ["-at", "-id"]
        verbose_name = _("provider event")
        verbose_name_plural = _("provider events")
        indexes = [models.Index(fields=["to_status", "at"])]

    def __str__(self):
        return f"{self.provider}: {self.from_status or '-'} → {self.to_status}"
