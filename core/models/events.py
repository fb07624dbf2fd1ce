"""The audit trail of a lifecycle (R-SEC-2): one abstract event model, one table per aggregate.

A concrete event model names its subject and the statuses of its lifecycle:

    class OrderEvent(StatusEvent):
        subject_field = "order"
        statuses = OrderStatus
        order = models.ForeignKey(Order, models.CASCADE, related_name="events")

Rows are written by `core.lifecycle` (`transition`, `note`) in the transaction of the change and
never changed afterwards. A row whose `from_status` equals its `to_status` is a note on the
timeline (a check-in, a claim), not a change. Reasons written by the platform are English
message ids (`gettext_noop`), translated when shown (`reason_text`).
"""

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .fields import user_reference


class EventStatusField(models.CharField):
    """A status of the event's lifecycle: its choices are the concrete model's `statuses`, so
    every event table shows and filters its own labels (Django's advice for choices that depend
    on the inheriting class)."""

    def contribute_to_class(self, cls, name, *args, **kwargs):
        statuses = getattr(cls, "statuses", None)
        if statuses is not None and not cls._meta.abstract:
            self.choices = statuses.choices
        super().contribute_to_class(cls, name, *args, **kwargs)


class StatusEvent(models.Model):
    """Who moved the subject from which status to which, when and why (append-only)."""

    # Set by each concrete model: the foreign key to the subject, and its status choices.
    subject_field: str = ""
    statuses: type[models.TextChoices] | None = None

    from_status = EventStatusField(_("from"), max_length=20, blank=True)
    to_status = EventStatusField(_("to"), max_length=20)
    actor = user_reference(
        _("by"),
        optional=True,
        help_text=_("Empty when the platform acted on its own."),
    )
    reason = models.TextField(_("reason"), blank=True)
    # What else the change carried (figures behind an automatic decision, a reference).
    extra = models.JSONField(_("details"), default=dict, blank=True)
    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        abstract = True
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.subject_id}: {self.from_status or '-'} → {self.to_status}"

    @property
    def subject_id(self):
        return getattr(self, f"{self.subject_field}_id")

    @property
    def is_note(self) -> bool:
        """A note on the timeline rather than a change of status."""
        return self.from_status == self.to_status

    @property
    def reason_text(self) -> str:
        """The reason in the active language (platform reasons are stored as message ids)."""
        return gettext(self.reason) if self.reason else ""

    @classmethod
    def record(cls, subject, *, from_status: str, to_status: str, actor, reason: str, **fields):
        """Write one event about `subject`; `fields` are the concrete model's own columns."""
        return cls._default_manager.create(
            **{cls.subject_field: subject},
            from_status=from_status,
            to_status=to_status,
            actor=actor,
            reason=reason,
            **fields,
        )
