"""Who opened which sensitive record, and when (R-SEC-1, R-VET-4): one abstract access log.

A concrete log names the record it watches:

    class DocumentAccess(AccessLog):
        subject_field = "document"
        document = models.ForeignKey(VettingDocument, models.CASCADE, related_name="accesses")

Rows are written by the service that shows the record (`AccessLog.record`) and never changed;
`core.admin.AccessLogAdmin` lists them read-only.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models.fields import user_reference


class AccessLog(models.Model):
    subject_field: str = ""

    user = user_reference(_("by"))
    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.user} · {getattr(self, self.subject_field)} · {self.at:%Y-%m-%d %H:%M}"

    @classmethod
    def record(cls, subject, *, user, ip_address: str | None):
        return cls._default_manager.create(
            **{cls.subject_field: subject}, user=user, ip_address=ip_address or None
        )
