import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from providers.models import Provider, ServiceArea, Skill


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
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="orders",
        verbose_name=_("customer"),
    )
    service_type = models.ForeignKey(
        ServiceType, on_delete=models.PROTECT, related_name="orders", verbose_name=_("service")
    )
    area = models.ForeignKey(
        ServiceArea, on_delete=models.PROTECT, related_name="orders", verbose_name=_("area")
    )
    address = models.CharField(_("address"), max_length=300)
    home_area_sqm = models.PositiveIntegerField(_("home area (m²)"))
    notes = models.TextField(_("personal requests"), blank=True)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    price = models.DecimalField(_("price"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(
        _("status"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.REQUESTED
    )
    provider = models.ForeignKey(
        Provider,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("provider"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    status_changed_at = models.DateTimeField(_("status changed"), auto_now_add=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    channel = models.CharField(
        _("channel"), max_length=10, choices=Channel.choices, default=Channel.WEB
    )
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders_taken",
        verbose_name=_("taken by operator"),
    )
    # The provider's time is held until here: the job's end plus the travel buffer in force
    # when the order was confirmed (R-ORD-5).
    blocked_until = models.DateTimeField(_("provider busy until"), null=True, blank=True)
    reminder_sent_at = models.DateTimeField(_("reminder sent"), null=True, blank=True)
    cancellation_fee = models.DecimalField(
        _("cancellation fee"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    # A guarantee redo (R-ORD-7) goes preferably to someone else: matching skips this provider.
    avoid_provider = models.ForeignKey(
        Provider,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("avoid provider"),
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
                condition=Q(home_area_sqm__gt=0), name="order_home_area_positive"
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
        ]

    def __str__(self):
        return _("Order #%(number)s") % {"number": self.pk}

    @property
    def is_cancellable(self) -> bool:
        return self.status in CANCELLABLE_STATUSES

    @property
    def duration(self):
        return self.ends_at - self.starts_at


class OrderEvent(models.Model):
    """Append-only audit of every order status change."""

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="events", verbose_name=_("order")
    )
    from_status = models.CharField(
        _("from"), max_length=20, choices=OrderStatus.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=20, choices=OrderStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
        help_text=_("Empty when the platform acted on its own."),
    )
    reason = models.TextField(_("reason"), blank=True)
    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("order event")
        verbose_name_plural = _("order events")

    def __str__(self):
        return f"{self.order_id}: {self.from_status or '-'} → {self.to_status}"


class IdempotencyKey(models.Model):
    """The first answer to an API request sent with an Idempotency-Key header, replayed for
    repeats so a retried create never makes a second order."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    key = models.CharField(_("key"), max_length=100)
    request_fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    response_status = models.PositiveSmallIntegerField(_("response status"))
    response_body = models.JSONField(_("response body"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_per_user")
        ]

    def __str__(self):
        return f"{self.user_id}:{self.key}"


class ContractParty(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    PROVIDER = "provider", _("Provider")


class ContractTemplate(models.Model):
    """A version of the service contract's wording in one language (R-ORD-4)."""

    version = models.PositiveSmallIntegerField(_("version"))
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(
        _("text"), help_text=_("Django template text; the order is available as {{ order }}.")
    )
    published_at = models.DateTimeField(_("published"), auto_now_add=True)

    class Meta:
        ordering = ["-version", "language"]
        verbose_name = _("contract template")
        verbose_name_plural = _("contract templates")
        constraints = [
            models.UniqueConstraint(fields=["version", "language"], name="contract_version_lang")
        ]

    def __str__(self):
        return f"{self.title} v{self.version} ({self.language})"


class Contract(models.Model):
    """The contract generated for one order: the exact text both parties sign."""

    order = models.OneToOneField(
        Order, on_delete=models.PROTECT, related_name="contract", verbose_name=_("order")
    )
    template = models.ForeignKey(
        ContractTemplate,
        on_delete=models.PROTECT,
        related_name="contracts",
        verbose_name=_("template"),
    )
    language = models.CharField(_("language"), max_length=10)
    text = models.TextField(_("text"))
    text_sha256 = models.CharField(_("SHA-256 of the text"), max_length=64)
    public_id = models.UUIDField(_("verification code"), default=uuid.uuid4, unique=True)
    created_at = models.DateTimeField(_("generated"), auto_now_add=True)

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")

    def __str__(self):
        return _("Contract for order #%(number)s") % {"number": self.order_id}

    def save(self, *args, **kwargs):
        # Frozen once generated: the parties sign this exact text (R-ORD-4).
        if self.pk is not None:
            raise ValueError("A contract cannot be changed once generated.")
        super().save(*args, **kwargs)


class ContractSignature(models.Model):
    """One party's electronic signature of the exact contract text. Never changed."""

    contract = models.ForeignKey(
        Contract, on_delete=models.PROTECT, related_name="signatures", verbose_name=_("contract")
    )
    party = models.CharField(_("party"), max_length=10, choices=ContractParty.choices)
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("signer"),
    )
    typed_name = models.CharField(_("typed name"), max_length=150)
    signed_at = models.DateTimeField(_("signed"))
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    text_sha256 = models.CharField(_("SHA-256 of the signed text"), max_length=64)

    class Meta:
        ordering = ["signed_at"]
        verbose_name = _("contract signature")
        verbose_name_plural = _("contract signatures")
        constraints = [
            models.UniqueConstraint(fields=["contract", "party"], name="contract_signed_once")
        ]

    def __str__(self):
        return f"{self.contract} · {self.get_party_display()}"

    def save(self, *args, **kwargs):
        # A signature is written once and never changed (R-ORD-4).
        if self.pk is not None:
            raise ValueError("A contract signature cannot be changed.")
        super().save(*args, **kwargs)


class ClaimStatus(models.TextChoices):
    OPEN = "open", _("Waiting for a decision")
    REDO = "redo", _("The work will be redone")
    COMPENSATED = "compensated", _("Compensated")
    REJECTED = "rejected", _("Not accepted")


class GuaranteeClaim(models.Model):
    """A customer's claim that a completed job was not satisfactory (R-ORD-7)."""

    order = models.OneToOneField(
        Order, on_delete=models.PROTECT, related_name="guarantee_claim", verbose_name=_("order")
    )
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="guarantee_claims",
        verbose_name=_("customer"),
    )
    description = models.TextField(_("what was wrong"))
    status = models.CharField(
        _("status"), max_length=20, choices=ClaimStatus.choices, default=ClaimStatus.OPEN
    )
    created_at = models.DateTimeField(_("claimed"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    redo_order = models.OneToOneField(
        Order,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="redo_of_claim",
        verbose_name=_("redo order"),
    )
    amount = models.DecimalField(
        _("compensation"), max_digits=14, decimal_places=2, null=True, blank=True
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("guarantee claim")
        verbose_name_plural = _("guarantee claims")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ClaimStatus.values), name="claim_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gt=0), name="claim_amount_positive"
            ),
        ]

    def __str__(self):
        return _("Claim on order #%(number)s") % {"number": self.order_id}


class BalanceEntry(models.Model):
    """A line in a customer's balance: credits (positive) and charges (negative).
    Append-only; the balance is their sum."""

    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="balance_entries",
        verbose_name=_("customer"),
    )
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    reason = models.CharField(_("reason"), max_length=300)
    order = models.ForeignKey(
        Order,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="balance_entries",
        verbose_name=_("order"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("balance entry")
        verbose_name_plural = _("balance entries")
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="balance_entry_not_zero"),
        ]

    def __str__(self):
        return f"{self.customer_id}: {self.amount} {self.currency}"


class SavedAddress(models.Model):
    """An address a customer booked at before, offered again on the next booking."""

    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="saved_addresses",
        verbose_name=_("customer"),
    )
    label = models.CharField(_("name"), max_length=50, blank=True, help_text=_("e.g. Home"))
    address = models.CharField(_("address"), max_length=300)
    area = models.ForeignKey(
        ServiceArea, on_delete=models.PROTECT, related_name="+", verbose_name=_("area")
    )
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
