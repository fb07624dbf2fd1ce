"""The versioned price book (R-ORD-2): staff publish versions, an order keeps the one it was
quoted with. A published version is immutable; a change is a new version copied from it."""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.models.fields import reference, user_reference
from providers.models import ProviderTier

from .catalogue import ServiceOption, ServiceType

MONEY = {"max_digits": 14, "decimal_places": 2, "validators": [MinValueValidator(0)]}


class PriceBookLocked(ValidationError):
    """A published price book version, or one of its rules, was about to change."""


class PriceBookStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class PricingUnit(models.TextChoices):
    PER_SQM = "per_sqm", _("per m² of the home")
    PER_HOUR = "per_hour", _("per hour")


class Difficulty(models.TextChoices):
    """The home's condition as the customer describes it."""

    LIGHT = "light", _("Light: tidy, cleaned regularly")
    NORMAL = "normal", _("Normal")
    HEAVY = "heavy", _("Heavy: very dirty or long not cleaned")


def default_difficulty_multipliers():
    return {"light": "0.9", "normal": "1.0", "heavy": "1.3"}


def default_tier_multipliers():
    return {"standard": "1.0", "experienced": "1.15", "expert": "1.3"}


@dataclass(frozen=True)
class PriceLine:
    """One line of a price breakdown. `code` is the option code, difficulty or tier."""

    kind: str  # "base" | "minimum" | "difficulty" | "tier" | "option"
    amount: Decimal
    code: str = ""
    name: str = ""
    quantity: int | None = None
    unit: str = ""
    multiplier: Decimal | None = None

    @property
    def label(self) -> str:
        """The line's description in the active language."""
        if self.kind == "minimum":
            return gettext("Minimum price")
        if self.kind == "base":
            if self.unit == PricingUnit.PER_HOUR:
                return gettext("Service, %(hours)s h") % {"hours": self.quantity}
            return gettext("Service, %(area)s m²") % {"area": self.quantity}
        if self.kind == "difficulty":
            return gettext("Condition of the home: %(condition)s (×%(multiplier)s)") % {  # noqa: RUF001
                "condition": choice_label(Difficulty, self.code),
                "multiplier": self.multiplier,
            }
        if self.kind == "tier":
            return gettext("Provider tier: %(tier)s (×%(multiplier)s)") % {  # noqa: RUF001
                "tier": choice_label(ProviderTier, self.code),
                "multiplier": self.multiplier,
            }
        return gettext(self.name)  # catalogue names are stored in English, translated as messages

    def to_json(self) -> dict:
        data = {"kind": self.kind, "amount": str(self.amount)}
        for key in ("code", "name", "quantity", "unit"):
            if getattr(self, key) not in ("", None):
                data[key] = getattr(self, key)
        if self.multiplier is not None:
            data["multiplier"] = str(self.multiplier)
        return data

    @classmethod
    def from_json(cls, data: dict) -> "PriceLine":
        multiplier = data.get("multiplier")
        return cls(
            kind=data["kind"],
            amount=Decimal(data["amount"]),
            code=data.get("code", ""),
            name=data.get("name", ""),
            quantity=data.get("quantity"),
            unit=data.get("unit", ""),
            multiplier=None if multiplier is None else Decimal(multiplier),
        )


def choice_label(choices, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


class PriceBookQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=PriceBookStatus.PUBLISHED)

    def current(self, at=None):
        """The version in force: the latest published one whose valid_from has come."""
        at = at or timezone.now()
        return (
            self.published().filter(valid_from__lte=at).order_by("-valid_from", "-number").first()
        )


class PriceBook(models.Model):
    """One version of all prices. Only staff change it (orders.services.pricebook)."""

    number = models.PositiveIntegerField(_("version"), unique=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=PriceBookStatus.choices,
        default=PriceBookStatus.DRAFT,
        editable=False,
    )
    valid_from = models.DateTimeField(
        _("valid from"), default=timezone.now, help_text=_("Orders quoted from then on use it.")
    )
    note = models.TextField(_("note"), blank=True)
    created_by = user_reference(_("created by"), optional=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    copied_from = reference("self", _("copied from"), optional=True, editable=False)
    published_at = models.DateTimeField(_("published"), null=True, blank=True, editable=False)
    published_by = user_reference(_("published by"), optional=True, editable=False)

    objects = PriceBookQuerySet.as_manager()

    class Meta:
        ordering = ["-number"]
        verbose_name = _("price book version")
        verbose_name_plural = _("price book versions")
        permissions = [("publish_pricebook", _("Can publish a price book version"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(status=PriceBookStatus.DRAFT)
                | Q(published_at__isnull=False, published_by__isnull=False),
                name="pricebook_published_has_who_and_when",
            ),
            models.CheckConstraint(
                condition=Q(status__in=PriceBookStatus.values), name="pricebook_status_valid"
            ),
        ]

    def __str__(self):
        return _("Price book v%(number)s") % {"number": self.number}

    def save(self, *args, **kwargs):
        if self._stored_status() == PriceBookStatus.PUBLISHED:
            raise PriceBookLocked(
                _("Price book v%(number)s is published and cannot change; make a new version.")
                % {"number": self.number}
            )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self._stored_status() == PriceBookStatus.PUBLISHED:
            raise PriceBookLocked(
                _("Price book v%(number)s is published and cannot be deleted.")
                % {"number": self.number}
            )
        return super().delete(*args, **kwargs)

    @property
    def is_published(self) -> bool:
        return self.status == PriceBookStatus.PUBLISHED

    def _stored_status(self):
        if self.pk is None:
            return None
        return type(self).objects.filter(pk=self.pk).values_list("status", flat=True).first()


def _decimal_map(value, keys, label, *, positive: bool) -> dict:
    """Check a JSON mapping of key -> decimal; return it with the values as strings."""
    if not isinstance(value, dict):
        raise ValidationError(_("%(label)s must be a mapping.") % {"label": label})
    unknown = set(value) - set(keys)
    if unknown:
        raise ValidationError(
            _("%(label)s: unknown keys %(keys)s.")
            % {"label": label, "keys": ", ".join(sorted(unknown))}
        )
    cleaned = {}
    for key, raw in value.items():
        try:
            number = Decimal(str(raw))
        except (InvalidOperation, ValueError):
            number = None
        if number is None or not number.is_finite() or number < 0 or (positive and number == 0):
            raise ValidationError(
                _("%(label)s: %(key)s must be a number above zero.")
                if positive
                else _("%(label)s: %(key)s must be a number, zero or more."),
                params={"label": label, "key": key},
            )
        cleaned[key] = str(number)
    return cleaned


class PriceRule(models.Model):
    """How one service is priced in one price book version."""

    price_book = reference(
        PriceBook, _("price book"), related_name="rules", on_delete=models.CASCADE
    )
    service_type = reference(ServiceType, _("service"), related_name="price_rules")
    unit = models.CharField(
        _("priced"), max_length=10, choices=PricingUnit.choices, default=PricingUnit.PER_SQM
    )
    base_price = models.DecimalField(_("base price"), **MONEY)
    rate = models.DecimalField(_("rate"), help_text=_("Per m² or per hour, as priced."), **MONEY)
    minimum_price = models.DecimalField(_("minimum price"), default=Decimal("0"), **MONEY)
    minutes_per_sqm = models.DecimalField(
        _("minutes per m²"),
        max_digits=6,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(0)],
        help_text=_("The duration rule for services priced per m²; per hour, the hours booked."),
    )
    difficulty_multipliers = models.JSONField(
        _("difficulty multipliers"), default=default_difficulty_multipliers
    )
    tier_multipliers = models.JSONField(
        _("multipliers by provider tier"), default=default_tier_multipliers
    )
    option_prices = models.JSONField(
        _("option prices"), default=dict, blank=True, help_text=_('e.g. {"fridge": "300000"}')
    )

    class Meta:
        ordering = ["price_book", "service_type__name"]
        verbose_name = _("price rule")
        verbose_name_plural = _("price rules")
        constraints = [
            models.UniqueConstraint(
                fields=["price_book", "service_type"], name="one_price_rule_per_service"
            )
        ]

    def __str__(self):
        return f"{self.service_type} ({self.price_book})"

    def save(self, *args, **kwargs):
        stored_book = (
            type(self).objects.filter(pk=self.pk).values_list("price_book_id", flat=True).first()
        )
        if self._book_is_published() or (
            stored_book
            and PriceBook.objects.filter(pk=stored_book, status=PriceBookStatus.PUBLISHED).exists()
        ):
            raise PriceBookLocked(
                _("This price book version is published and cannot change; make a new version.")
            )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self._book_is_published():
            raise PriceBookLocked(
                _("This price book version is published and cannot change; make a new version.")
            )
        return super().delete(*args, **kwargs)

    def clean(self):
        errors = {}
        for field, keys, label, positive in (
            ("difficulty_multipliers", Difficulty.values, _("Difficulty multipliers"), True),
            ("tier_multipliers", ProviderTier.values, _("Tier multipliers"), True),
        ):
            try:
                cleaned = _decimal_map(getattr(self, field), keys, label, positive=positive)
                missing = set(keys) - set(cleaned)
                if missing:
                    raise ValidationError(
                        _("%(label)s: give a value for %(keys)s.")
                        % {"label": label, "keys": ", ".join(sorted(missing))}
                    )
                setattr(self, field, cleaned)
            except ValidationError as exc:
                errors[field] = exc
        if self.service_type_id:
            codes = ServiceOption.objects.filter(service_type_id=self.service_type_id).values_list(
                "code", flat=True
            )
            try:
                self.option_prices = _decimal_map(
                    self.option_prices or {}, list(codes), _("Option prices"), positive=False
                )
            except ValidationError as exc:
                errors["option_prices"] = exc
        if self.unit == PricingUnit.PER_SQM and not self.minutes_per_sqm:
            errors["minutes_per_sqm"] = _("A service priced per m² needs its minutes per m².")
        if errors:
            raise ValidationError(errors)

    def _book_is_published(self) -> bool:
        return PriceBook.objects.filter(
            pk=self.price_book_id, status=PriceBookStatus.PUBLISHED
        ).exists()

    def difficulty_multiplier(self, difficulty: str) -> Decimal:
        return Decimal(str(self.difficulty_multipliers.get(difficulty, "1")))

    def tier_multiplier(self, tier: str) -> Decimal:
        return Decimal(str(self.tier_multipliers.get(tier, "1")))

    def option_price(self, code: str) -> Decimal | None:
        value = (self.option_prices or {}).get(code)
        return None if value is None else Decimal(str(value))


class OrderOption(models.Model):
    """An option chosen at booking, frozen with its name and price then."""

    order = reference("orders.Order", _("order"), related_name="options", on_delete=models.CASCADE)
    option = reference(ServiceOption, _("option"))
    name = models.CharField(_("name"), max_length=100)
    price = models.DecimalField(_("price"), **MONEY)
    extra_minutes = models.PositiveIntegerField(_("extra minutes"), default=0)

    class Meta:
        ordering = ["id"]
        verbose_name = _("chosen option")
        verbose_name_plural = _("chosen options")
        constraints = [
            models.UniqueConstraint(fields=["order", "option"], name="order_option_once")
        ]

    def __str__(self):
        return self.name
