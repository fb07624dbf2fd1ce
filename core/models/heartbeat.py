"""The heartbeat that proves beat and a worker are alive (core.health)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Heartbeat(models.Model):
    """The last time a periodic task named `name` ran. Beat sends `core.tasks.heartbeat_task`
    every minute and a worker writes this row: a recent `at` proves both are running. It lives
    in the database, so /readyz can read it with Redis down."""

    name = models.CharField(_("name"), max_length=40, unique=True)
    at = models.DateTimeField(_("last run"))

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self):
        return f"{self.name}: {self.at:%Y-%m-%d %H:%M:%S}"
