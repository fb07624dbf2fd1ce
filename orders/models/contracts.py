"""Service contracts: versioned templates, the rendered contract and its signatures."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import Signature, VersionedText
from core.models.fields import user_reference

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


class ContractSignature(Signature):
    """One party's electronic signature of the exact contract text. Never changed."""

    contract = models.ForeignKey(
        Contract, on_delete=models.PROTECT, related_name="signatures", verbose_name=_("contract")
    )
    party = models.CharField(_("party"), max_length=10, choices=ContractParty.choices)
    signer = user_reference(_("signer"))
    # Set when the customer's signature was recorded under the standing agreement of a
    # recurring series (orders/services/recurring.py) instead of typed on this contract.
    standing_agreement = models.ForeignKey(
        "orders.SeriesAgreement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contract_signatures",
        verbose_name=_("under standing agreement"),
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
