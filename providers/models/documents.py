import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import AccessLog
from core.models.fields import reference, user_reference

from ..storage import private_storage
from .core import Provider


class DocumentKind(models.TextChoices):
    ID_SCAN = "id_scan", _("Identity document scan")
    CRIMINAL_RECORD = "criminal_record", _("Certificate of no criminal record")
    IN_PERSON_PHOTO = "in_person_photo", _("Photo taken in person")


def document_path(instance, filename):
    # The name says nothing about the person or the content.
    return f"vetting/{uuid.uuid4().hex}.bin"


class VettingDocument(models.Model):
    """An identity or background document (R-VET-4), encrypted at rest in private storage."""

    provider = reference(
        Provider, _("provider"), related_name="documents", on_delete=models.CASCADE
    )
    kind = models.CharField(_("kind"), max_length=30, choices=DocumentKind.choices)
    file = models.FileField(
        _("file"), upload_to=document_path, storage=private_storage, max_length=200
    )
    content_type = models.CharField(_("content type"), max_length=50)
    original_name = models.CharField(_("original file name"), max_length=200)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = user_reference(_("uploaded by"))
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    original_checked_at = models.DateTimeField(_("original checked"), null=True, blank=True)
    checked_by = user_reference(_("checked by"), optional=True)

    class Meta:
        ordering = ["provider", "kind", "-uploaded_at"]
        verbose_name = _("vetting document")
        verbose_name_plural = _("vetting documents")
        permissions = [("view_document_file", _("Can open vetting document files"))]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind=DocumentKind.CRIMINAL_RECORD)
                | (Q(issued_on__isnull=False) & Q(expires_on__isnull=False)),
                name="certificate_has_dates",
            ),
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True)
                | Q(issued_on__isnull=True)
                | Q(expires_on__gt=models.F("issued_on")),
                name="document_expires_after_issue",
            ),
        ]
        indexes = [models.Index(fields=["kind", "expires_on"])]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.provider}"

    @property
    def is_checked(self) -> bool:
        return self.original_checked_at is not None


class DocumentAccess(AccessLog):
    """Who opened which vetting document, and when. Append-only."""

    subject_field = "document"

    document = reference(
        VettingDocument, _("document"), related_name="accesses", on_delete=models.CASCADE
    )

    class Meta(AccessLog.Meta):
        verbose_name = _("document access")
        verbose_name_plural = _("document accesses")
