"""The person cared for (R-ORD-1): recorded at intake for services that ask about them
(`ServiceType.asks_about_person_cared_for`, e.g. elderly care).

Everything said about the person (name, age, mobility, conditions, language, special needs) is
health or personal data: it is encrypted at rest (so the database can check none of it: the
rules are `orders.services.care.validate_care` and the field validators) and shown only to the
customer who entered them, the provider assigned to the job while it is theirs, and
staff holding `orders.view_carerecipient` (whose reads are logged in `CareRecipientAccess`).
Who may see them is decided in one place, `orders.services.care.can_see_care_details`.
"""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.crypto import EncryptedIntegerField, EncryptedTextField
from core.models import AccessLog
from core.models.fields import reference

from .core import Order

MAX_AGE = 130
LANGUAGE_MAX = 100


class Mobility(models.TextChoices):
    WALKS_ALONE = "walks_alone", _("Walks alone")
    WALKS_WITH_HELP = "walks_with_help", _("Walks with help")
    WHEELCHAIR = "wheelchair", _("Uses a wheelchair")
    BEDRIDDEN = "bedridden", _("Bedridden")


class Condition(models.TextChoices):
    DEMENTIA = "dementia", _("Dementia or memory loss")
    DIABETES = "diabetes", _("Diabetes")
    AFTER_SURGERY = "after_surgery", _("Recovering after surgery")
    HEART = "heart", _("Heart condition")
    STROKE = "stroke", _("After a stroke")
    PARKINSONS = "parkinsons", _("Parkinson's disease")
    HEARING_VISION = "hearing_vision", _("Poor hearing or sight")
    INCONTINENCE = "incontinence", _("Incontinence")


class CareRecipient(models.Model):
    """The person cared for in one order. One per order; the order needs no field for it."""

    order = models.OneToOneField(
        Order, models.CASCADE, related_name="care_recipient", verbose_name=_("order")
    )
    full_name = EncryptedTextField(_("name"))
    age = EncryptedIntegerField(
        _("age"), validators=[MinValueValidator(1), MaxValueValidator(MAX_AGE)]
    )
    mobility = EncryptedTextField(_("mobility"), max_length=20, choices=Mobility.choices)
    # Condition codes (Condition), comma-separated, encrypted like the free text beside them.
    condition_codes = EncryptedTextField(_("conditions"), blank=True)
    other_conditions = EncryptedTextField(_("other conditions"), blank=True)
    language = EncryptedTextField(_("language spoken"), max_length=LANGUAGE_MAX)
    special_needs = EncryptedTextField(_("special needs"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("person cared for")
        verbose_name_plural = _("people cared for")

    def __str__(self):
        # Never the name: this string appears in logs and admin histories.
        return _("Person cared for in order #%(number)s") % {"number": self.order_id}

    @property
    def conditions(self) -> list[str]:
        return [code for code in self.condition_codes.split(",") if code]

    @property
    def condition_labels(self) -> list[str]:
        labels = dict(Condition.choices)
        return [labels.get(code, code) for code in self.conditions]


class CareRecipientAccess(AccessLog):
    """A member of staff opened the details of a person cared for. Append-only."""

    subject_field = "care_recipient"

    care_recipient = reference(
        CareRecipient, _("person cared for"), related_name="accesses", on_delete=models.CASCADE
    )

    class Meta(AccessLog.Meta):
        verbose_name = _("care details access")
        verbose_name_plural = _("care details accesses")
