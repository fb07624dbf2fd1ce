"""A batch assignment run by an operator (R-MAT-5): the audit of who placed which orders, why,
and with what result."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models.fields import reference, user_reference
from providers.models import ServiceArea


class BatchStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to run")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class BatchRun(models.Model):
    """One "assign" of the batch page: requested by a staff member with a reason, run by a
    Celery task (pending -> done | failed), its plan and outcome kept as JSON for the audit.

    `plan` is what the operator saw (order -> provider and score); `result` is what the task
    did when it ran: {"assigned": [{order, provider, score}], "left": [{order, why}]}.
    """

    area = reference(ServiceArea, _("area"))
    day = models.DateField(_("day"))
    requested_by = user_reference(_("requested by"))
    reason = models.TextField(_("reason"))
    status = models.CharField(
        _("status"), max_length=10, choices=BatchStatus.choices, default=BatchStatus.PENDING
    )
    order_ids = models.JSONField(_("orders"), default=list)
    plan = models.JSONField(_("planned assignment"), default=dict)
    result = models.JSONField(_("result"), default=dict, blank=True)
    total_score = models.FloatField(_("total score"), null=True, blank=True)
    greedy_score = models.FloatField(_("greedy total score"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("batch assignment")
        verbose_name_plural = _("batch assignments")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=BatchStatus.values), name="batchrun_status_valid"
            ),
        ]
        permissions = [("run_batch_assignment", _("Can assign a day's orders in one batch"))]

    def __str__(self):
        return _("Batch #%(number)s") % {"number": self.pk}
