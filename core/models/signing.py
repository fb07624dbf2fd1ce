"""Signed texts (R-ORD-4, R-VET-5): a versioned wording, and an electronic signature of an exact
text that is never changed once written.

A signature keeps the name the signer typed, when, from which address and browser, and the
SHA-256 of the exact text signed (`core.signing.text_sha256`). The model refuses a second save;
on PostgreSQL a trigger refuses UPDATE and DELETE too (each app's migration adds it).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class VersionedText(models.Model):
    """A version of a text to be signed, in one language; a new version is a new row."""

    version = models.PositiveSmallIntegerField(_("version"))
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    published_at = models.DateTimeField(_("published"), auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["-version", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "language"], name="%(app_label)s_%(class)s_version_language"
            )
        ]

    def __str__(self):
        return f"{self.title} v{self.version} ({self.language})"

    @property
    def document(self) -> str:
        """The title, a blank line, then the body, exactly as stored."""
        return f"{self.title}\n\n{self.body}"


TYPED_NAME_MAX = 150
USER_AGENT_MAX = 300


class Signature(models.Model):
    """One person's electronic signature of an exact text. Written once, never changed."""

    typed_name = models.CharField(_("typed name"), max_length=TYPED_NAME_MAX)
    signed_at = models.DateTimeField(_("signed"))
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=USER_AGENT_MAX, blank=True)
    text_sha256 = models.CharField(_("SHA-256 of the signed text"), max_length=64)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError(f"A {self._meta.verbose_name} cannot be changed once signed.")
        super().save(*args, **kwargs)

    @classmethod
    def evidence(cls, *, typed_name: str, ip_address: str | None, user_agent: str) -> dict:
        """The columns every signature shares, cut to their sizes: the typed name with its
        spaces folded, now, the address and the browser."""
        return {
            "typed_name": " ".join((typed_name or "").split())[:TYPED_NAME_MAX],
            "signed_at": timezone.now(),
            "ip_address": ip_address or None,
            "user_agent": (user_agent or "")[:USER_AGENT_MAX],
        }
