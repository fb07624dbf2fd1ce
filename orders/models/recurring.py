"""Recurring cleaning (issue 4): a series repeats an order weekly or every two weeks.

A `RecurringSeries` is made from one of the customer's confirmed or completed orders and keeps
what to book again: service, area, address, home area, notes, the local weekday and start time,
and the provider who did it (preferred for every occurrence). A beat task books the occurrences
RECURRING_HORIZON_DAYS ahead; each one is a `SeriesOccurrence` row, unique per series and date,
holding either the order booked or why that date could not be booked. A customer may sign a
`SeriesAgreement` when starting the series: a standing agreement whose signature is recorded on
each occurrence's contract.
"""

from datetime import timedelta

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.crypto import EncryptedTextField
from core.models import Signature, StatusEvent
from core.models.fields import reference, user_reference
from providers.models import Provider, ServiceArea

from .catalogue import ServiceOption, ServiceType
from .core import Order
from .pricebook import Difficulty


class SeriesInterval(models.TextChoices):
    WEEKLY = "weekly", _("Every week")
    FORTNIGHTLY = "fortnightly", _("Every two weeks")


INTERVAL_DAYS: dict[str, int] = {SeriesInterval.WEEKLY: 7, SeriesInterval.FORTNIGHTLY: 14}


class SeriesStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    ENDED = "ended", _("Ended")


class RecurringSeries(models.Model):
    customer = user_reference(_("customer"), related_name="recurring_series")
    first_order = reference(Order, _("first order"), related_name="series_started")
    service_type = reference(ServiceType, _("service"))
    area = reference(ServiceArea, _("area"))
    address = models.CharField(_("address"), max_length=300)
    # As on the order: per-m² services by the home's area, per-hour services by the hours.
    home_area_sqm = models.PositiveIntegerField(_("home area (m²)"), null=True, blank=True)
    hours = models.PositiveSmallIntegerField(_("hours booked"), null=True, blank=True)
    difficulty = models.CharField(
        _("condition of the home"), max_length=10, choices=Difficulty.choices, default="normal"
    )
    # The options chosen on the first order, booked again each time at the price then.
    options = models.ManyToManyField(
        ServiceOption, blank=True, related_name="+", verbose_name=_("options")
    )
    # Copied to every occurrence's order, and encrypted as there.
    notes = EncryptedTextField(_("personal requests"), blank=True)
    # Local weekday (Monday is 0, as date.weekday() counts) and local start time.
    weekday = models.PositiveSmallIntegerField(_("weekday"))
    start_time = models.TimeField(_("start time"))
    interval = models.CharField(_("repeats"), max_length=12, choices=SeriesInterval.choices)
    # The first date an occurrence may fall on; occurrences are starts_on + k * interval.
    starts_on = models.DateField(_("first repeat on"))
    ends_on = models.DateField(_("last repeat on"), null=True, blank=True)
    preferred_provider = reference(Provider, _("preferred provider"), optional=True)
    status = models.CharField(
        _("status"), max_length=10, choices=SeriesStatus.choices, default=SeriesStatus.ACTIVE
    )
    status_changed_at = models.DateTimeField(_("status changed"), auto_now_add=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("recurring series")
        verbose_name_plural = _("recurring series")
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="series_weekday_valid"),
            models.CheckConstraint(
                condition=Q(status__in=SeriesStatus.values), name="series_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(interval__in=SeriesInterval.values), name="series_interval_valid"
            ),
            models.CheckConstraint(
                condition=Q(home_area_sqm__isnull=True) | Q(home_area_sqm__gt=0),
                name="series_home_area_positive",
            ),
            models.CheckConstraint(
                condition=Q(hours__isnull=True) | Q(hours__gt=0), name="series_hours_positive"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="series_ends_after_start",
            ),
            # An order repeats in at most one series that has not ended.
            models.UniqueConstraint(
                fields=["first_order"],
                condition=~Q(status="ended"),
                name="series_one_open_per_order",
            ),
        ]
        indexes = [models.Index(fields=["status"])]

    def __str__(self):
        return _("Recurring series #%(number)s") % {"number": self.pk}

    @property
    def interval_days(self) -> int:
        return INTERVAL_DAYS[self.interval]

    def dates_between(self, first, last):
        """The occurrence dates d with first <= d <= last (and not after ends_on)."""
        step = timedelta(days=self.interval_days)
        if self.ends_on is not None and self.ends_on < last:
            last = self.ends_on
        if last < self.starts_on or last < first:
            return []
        day = self.starts_on
        if first > day:
            skipped = -(-(first - day).days // self.interval_days)  # ceiling
            day += step * skipped
        dates = []
        while day <= last:
            dates.append(day)
            day += step
        return dates


class SeriesEvent(StatusEvent):
    """Append-only audit of a series: started, paused, resumed, ended (who, when, why)."""

    subject_field = "series"
    statuses = SeriesStatus

    series = reference(
        RecurringSeries, _("series"), related_name="events", on_delete=models.CASCADE
    )

    class Meta(StatusEvent.Meta):
        verbose_name = _("series event")
        verbose_name_plural = _("series events")


class SeriesOccurrence(models.Model):
    """One date of a series: the order booked for it, or why it could not be booked. The
    database holds one row per series and date, so no date is ever booked twice."""

    series = reference(RecurringSeries, _("series"), related_name="occurrences")
    occurs_on = models.DateField(_("date"))
    order = models.OneToOneField(
        Order,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="series_occurrence",
        verbose_name=_("order"),
    )
    problem = models.TextField(_("why it could not be booked"), blank=True)
    customer_told_at = models.DateTimeField(_("customer told"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["occurs_on"]
        verbose_name = _("series occurrence")
        verbose_name_plural = _("series occurrences")
        constraints = [
            models.UniqueConstraint(fields=["series", "occurs_on"], name="series_date_once"),
            # Either an order was booked or the reason it was not is recorded.
            models.CheckConstraint(
                condition=Q(order__isnull=False) | ~Q(problem=""),
                name="series_occurrence_booked_or_explained",
            ),
        ]

    def __str__(self):
        return f"{self.series_id}: {self.occurs_on}"


class SeriesAgreement(Signature):
    """The customer's standing agreement covering every occurrence of a series: its exact text
    signed once and never changed. Each occurrence's contract records the customer's signature
    under it."""

    series = models.OneToOneField(
        RecurringSeries, models.PROTECT, related_name="agreement", verbose_name=_("series")
    )
    language = models.CharField(_("language"), max_length=10)
    text = models.TextField(_("text"))
    signer = user_reference(_("signer"))

    class Meta:
        verbose_name = _("standing agreement")
        verbose_name_plural = _("standing agreements")

    def __str__(self):
        return _("Standing agreement #%(number)s") % {"number": self.pk}
