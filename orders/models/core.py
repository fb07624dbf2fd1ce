"""Orders, their audit trail, API idempotency and saved addresses."""

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from core.crypto import EncryptedJSONField, EncryptedTextField
from core.models import StatusEvent
from core.models.fields import reference, user_reference
from providers.models import Provider, ServiceArea

from .catalogue import ServiceType
from .pricebook import Difficulty, PriceLine


class OrderStatus(models.TextChoices):
    REQUESTED = "requested", _("Looking for a provider")
    OFFERED = "offered", _("Offered to a provider")
    NO_PROVIDER = "no_provider", _("No provider available")
    CONFIRMED = "confirmed", _("Confirmed")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class Channel(models.TextChoices):
    WEB = "web", _("Web")
    PHONE = "phone", _("Phone (taken by an operator)")
    API = "api", _("Mobile app (API)")
    RECURRING = "recurring", _("Recurring series")
    GUARANTEE = "guarantee", _("Guarantee redo")


# Statuses in which the assigned provider's time is taken.
BLOCKING_STATUSES = (OrderStatus.CONFIRMED, OrderStatus.IN_PROGRESS)


CANCELLABLE_STATUSES = (
    OrderStatus.REQUESTED,
    OrderStatus.OFFERED,
    OrderStatus.NO_PROVIDER,
    OrderStatus.CONFIRMED,
)


class OrderQuerySet(models.QuerySet):
    def blocking(self):
        return self.filter(status__in=BLOCKING_STATUSES)

    def overlapping(self, starts_at, until):
        """Orders whose held time [starts_at, blocked_until or ends_at) meets [starts_at, until)."""
        return self.annotate(held_until=Coalesce("blocked_until", "ends_at")).filter(
            starts_at__lt=until, held_until__gt=starts_at
        )


class Order(models.Model):
    customer = user_reference(_("customer"), related_name="orders")
    service_type = reference(ServiceType, _("service"), related_name="orders")
    area = reference(ServiceArea, _("area"), related_name="orders")
    address = models.CharField(_("address"), max_length=300)
    # Per-m² services are quantified by the home's area, per-hour services by the hours booked.
    home_area_sqm = models.PositiveIntegerField(_("home area (m²)"), null=True, blank=True)
    hours = models.PositiveSmallIntegerField(_("hours booked"), null=True, blank=True)
    # Personal requests may say anything about the household (a relative's medicines, the door
    # code): encrypted at rest like the details of the person cared for.
    notes = EncryptedTextField(_("personal requests"), blank=True)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    price = models.DecimalField(_("price"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    # The quote, frozen at booking (R-ORD-2): the price book version, the home's condition and
    # the price lines (base, options, difficulty, tier) as orders.pricing computed them.
    price_book = reference(
        "orders.PriceBook", _("price book version"), related_name="orders", optional=True
    )
    difficulty = models.CharField(
        _("condition of the home"), max_length=10, choices=Difficulty.choices, default="normal"
    )
    price_lines = models.JSONField(_("price breakdown"), default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.REQUESTED
    )
    provider = reference(Provider, _("provider"), related_name="orders", optional=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    status_changed_at = models.DateTimeField(_("status changed"), auto_now_add=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    channel = models.CharField(
        _("channel"), max_length=10, choices=Channel.choices, default=Channel.WEB
    )
    taken_by = user_reference(_("taken by operator"), related_name="orders_taken", optional=True)
    # The provider's time is held until here: the job's end plus the travel buffer in force
    # when the order was confirmed (R-ORD-5).
    blocked_until = models.DateTimeField(_("provider busy until"), null=True, blank=True)
    reminder_sent_at = models.DateTimeField(_("reminder sent"), null=True, blank=True)
    cancellation_fee = models.DecimalField(
        _("cancellation fee"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    # A guarantee redo (R-ORD-7) goes preferably to someone else: matching skips this provider.
    avoid_provider = reference(Provider, _("avoid provider"), optional=True)
    # A recurring series' occurrence goes preferably to the series' provider: matching ranks
    # this provider first when they are free (R-MAT-1).
    preferred_provider = reference(Provider, _("preferred provider"), optional=True)

    # The job's place, when known (matching by distance); else its area's centre is used.
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    # The customer's average score for this job, kept by reviews when it is rated, so matching
    # can tell a customer's good past experience with a provider without reading reviews.
    customer_rating = models.FloatField(
        _("customer's rating"), null=True, blank=True, editable=False
    )

    objects = OrderQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="order_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(home_area_sqm__isnull=True) | Q(home_area_sqm__gt=0),
                name="order_home_area_positive",
            ),
            models.CheckConstraint(
                condition=Q(hours__isnull=True) | Q(hours__gt=0), name="order_hours_positive"
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="order_price_not_negative"),
            models.CheckConstraint(
                condition=Q(status__in=OrderStatus.values), name="order_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=BLOCKING_STATUSES) | Q(blocked_until__isnull=False),
                name="order_blocking_has_busy_until",
            ),
            models.CheckConstraint(
                condition=Q(blocked_until__isnull=True) | Q(blocked_until__gte=F("ends_at")),
                name="order_busy_until_after_end",
            ),
            # A confirmed or running job always has its provider.
            models.CheckConstraint(
                condition=~Q(status__in=[*BLOCKING_STATUSES, OrderStatus.COMPLETED])
                | Q(provider__isnull=False),
                name="order_assigned_has_provider",
            ),
            # On PostgreSQL an exclusion constraint (migration 0002) also forbids overlaps.
        ]
        indexes = [
            models.Index(fields=["status", "starts_at"]),
            models.Index(fields=["provider", "starts_at"]),
            # Matching: a provider's completed jobs of a service, and a customer's past ratings.
            models.Index(
                fields=["provider", "service_type"],
                condition=Q(status="completed"),
                name="order_completed_by_service",
            ),
            models.Index(
                fields=["customer", "provider"],
                condition=Q(customer_rating__isnull=False),
                name="order_rated_by_customer",
            ),
            # Matching's per-candidate clash and workload checks as index-only scans
            # (bench/README.md, matching).
            models.Index(
                fields=["provider", "starts_at"],
                include=["ends_at", "blocked_until"],
                condition=Q(status__in=BLOCKING_STATUSES),
                name="order_blocking_by_provider",
            ),
            models.Index(
                fields=["provider", "starts_at"],
                include=["ends_at"],
                condition=Q(status__in=[*BLOCKING_STATUSES, OrderStatus.COMPLETED]),
                name="order_workload_by_provider",
            ),
        ]

    def __str__(self):
        return _("Order #%(number)s") % {"number": self.pk}

    @property
    def is_cancellable(self) -> bool:
        return self.status in CANCELLABLE_STATUSES

    @property
    def duration(self):
        return self.ends_at - self.starts_at

    def job_details(self) -> dict:
        """What the job is, to book it again (a guarantee redo, a recurring series): who, what,
        where, how much of it, and the personal requests."""
        return {
            "customer": self.customer,
            "service_type": self.service_type,
            "area": self.area,
            "address": self.address,
            "home_area_sqm": self.home_area_sqm,
            "hours": self.hours,
            "difficulty": self.difficulty,
            "notes": self.notes,
        }

    @property
    def contract(self):
        """The contract in force, if any (a query; orders.services.contracts.current_contract
        is the service's way)."""
        return self.contracts.filter(status="current").first()

    @property
    def price_breakdown(self):
        """The frozen price lines as PriceLine objects (labels translated)."""
        return [PriceLine.from_json(line) for line in self.price_lines or []]


class OrderEvent(StatusEvent):
    """Append-only audit of every order status change, and notes on its timeline."""

    subject_field = "order"
    statuses = OrderStatus

    order = reference(Order, _("order"), related_name="events", on_delete=models.CASCADE)

    class Meta(StatusEvent.Meta):
        verbose_name = _("order event")
        verbose_name_plural = _("order events")


class IdempotencyKey(models.Model):
    """The first answer to an API request sent with an Idempotency-Key header, replayed for
    repeats so a retried create never makes a second order."""

    user = user_reference(_("user"), on_delete=models.CASCADE)
    key = models.CharField(_("key"), max_length=100)
    request_fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    response_status = models.PositiveSmallIntegerField(_("response status"))
    # The order's detail, personal requests included: encrypted like the order's own fields.
    response_body = EncryptedJSONField(_("response body"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_per_user")
        ]

    def __str__(self):
        return f"{self.user_id}:{self.key}"


class SavedAddress(models.Model):
    """An address a customer booked at before, offered again on the next booking."""

    customer = user_reference(
        _("customer"),
        related_name="saved_addresses",
        on_delete=models.CASCADE,
    )
    label = models.CharField(_("name"), max_length=50, blank=True, help_text=_("e.g. Home"))
    address = models.CharField(_("address"), max_length=300)
    area = reference(ServiceArea, _("area"))
    last_used_at = models.DateTimeField(_("last used"), auto_now=True)

    class Meta:
        ordering = ["-last_used_at"]
        verbose_name = _("saved address")
        verbose_name_plural = _("saved addresses")
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "address", "area"], name="saved_address_once"
            )
        ]

    def __str__(self):
        return self.label or self.address
