"""Service contracts: versioned templates, the rendered contract and its signatures."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.crypto import EncryptedTextField
from core.models import Signature, VersionedText
from core.models.fields import reference, user_reference
from providers.models import Provider

from .catalogue import ServiceType
from .core import Order


class ContractParty(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    PROVIDER = "provider", _("Provider")


class ContractTemplate(VersionedText):
    """A version of the service contract's wording in one language (R-ORD-4)."""

    body = models.TextField(
        _("text"), help_text=_("Django template text; the order is available as {{ order }}.")
    )

    class Meta(VersionedText.Meta):
        verbose_name = _("contract template")
        verbose_name_plural = _("contract templates")


class ContractStatus(models.TextChoices):
    CURRENT = "current", _("In force")
    VOIDED = "voided", _("Voided")


class ContractQuerySet(models.QuerySet):
    def current(self):
        return self.filter(status=ContractStatus.CURRENT)


class Contract(models.Model):
    """A contract generated for an order: the exact text both parties sign, and what it says
    of the job (the provider named, the time, the price, the service), so that a change to the
    job is noticed. A contract is never edited: when the job changes it is voided (who, when,
    why) and a new one is issued; an order has at most one contract in force."""

    order = reference(Order, _("order"), related_name="contracts")
    template = reference(ContractTemplate, _("template"), related_name="contracts")
    language = models.CharField(_("language"), max_length=10)
    # Names both parties, the address and the personal requests: encrypted at rest. Its hash is
    # of the plain text, so a signature still proves what was signed.
    text = EncryptedTextField(_("text"))
    text_sha256 = models.CharField(_("SHA-256 of the text"), max_length=64)
    public_id = models.UUIDField(_("verification code"), default=uuid.uuid4, unique=True)
    created_at = models.DateTimeField(_("generated"), auto_now_add=True)
    # What the text says of the job (R-ORD-4): a job that no longer matches needs a new one.
    # Empty only on a contract generated before the provider was recorded on it whose order
    # lost its provider since (such a contract is voided by the migration that added this).
    provider = reference(Provider, _("provider named"), null=True)
    service_type = reference(ServiceType, _("service"))
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    price = models.DecimalField(_("price"), max_digits=14, decimal_places=2)
    status = models.CharField(
        _("status"), max_length=10, choices=ContractStatus.choices, default=ContractStatus.CURRENT
    )
    voided_at = models.DateTimeField(_("voided"), null=True, blank=True)
    voided_by = user_reference(_("voided by"), optional=True)
    void_reason = models.TextField(_("why voided"), blank=True)

    objects = ContractQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        constraints = [
            models.UniqueConstraint(
                fields=["order"],
                condition=models.Q(status="current"),
                name="contract_one_in_force_per_order",
            ),
            models.CheckConstraint(
                condition=models.Q(status="current", voided_at__isnull=True)
                | models.Q(status="voided", voided_at__isnull=False),
                name="contract_voided_has_time",
            ),
        ]

    def __str__(self):
        return _("Contract for order #%(number)s") % {"number": self.order_id}

    def save(self, *args, **kwargs):
        # Frozen once generated: the parties sign this exact text (R-ORD-4). Voiding is an
        # update of its status only (contracts.void_contract), never a save of the text.
        if self.pk is not None:
            raise ValueError("A contract cannot be changed once generated.")
        super().save(*args, **kwargs)

    @property
    def is_current(self) -> bool:
        return self.status == ContractStatus.CURRENT

    def describes(self, order: Order) -> bool:
        """Whether the text still says what the job is: the same provider, time, price and
        service."""
        return (
            self.provider_id == order.provider_id
            and self.service_type_id == order.service_type_id
            and self.starts_at == order.starts_at
            and self.ends_at == order.ends_at
            and self.price == order.price
        )


class ContractSignature(Signature):
    """One party's electronic signature of the exact contract text. Never changed."""

    contract = reference(Contract, _("contract"), related_name="signatures")
    party = models.CharField(_("party"), max_length=10, choices=ContractParty.choices)
    signer = user_reference(_("signer"))
    # Set when the customer's signature was recorded under the standing agreement of a
    # recurring series (orders/services/recurring.py) instead of typed on this contract.
    standing_agreement = reference(
        "orders.SeriesAgreement",
        _("under standing agreement"),
        related_name="contract_signatures",
        optional=True,
    )

    class Meta:
        ordering = ["signed_at"]
        verbose_name = _("contract signature")
        verbose_name_plural = _("contract signatures")
        constraints = [
            models.UniqueConstraint(fields=["contract", "party"], name="contract_signed_once")
        ]

    def __str__(self):
        return f"{self.contract} · {self.get_party_display()}"
