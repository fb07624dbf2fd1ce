from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models.fields import reference, user_reference

from .core import Provider, ProviderEvent


class AppealDecision(models.TextChoices):
    UPHELD = "upheld", _("Appeal upheld: reinstated")
    DISMISSED = "dismissed", _("Appeal dismissed: the suspension stands")


class SuspensionAppeal(models.Model):
    """A provider's one appeal against one suspension, and the manager's answer."""

    provider = reference(Provider, _("provider"), related_name="appeals", on_delete=models.CASCADE)
    suspension = models.OneToOneField(
        ProviderEvent, models.PROTECT, related_name="appeal", verbose_name=_("suspension")
    )
    text = models.TextField(_("appeal"))
    submitted_at = models.DateTimeField(_("submitted"), auto_now_add=True)
    decision = models.CharField(
        _("decision"), max_length=20, choices=AppealDecision.choices, blank=True
    )
    answer = models.TextField(_("answer"), blank=True)
    answered_by = user_reference(_("answered by"), optional=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at"]
        verbose_name = _("suspension appeal")
        verbose_name_plural = _("suspension appeals")

    def __str__(self):
        return f"{self.provider} · {self.submitted_at:%Y-%m-%d}"
