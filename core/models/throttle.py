"""The counters behind every limited door (core.throttle)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RateCount(models.Model):
    """How often one caller used one limited door in one window of time.

    `key` is a keyed hash of the caller (an account, a phone number, an address): the table says
    how busy a door was, never who knocked. Rows are written by one upsert per attempt (atomic
    under any concurrency) and purged a day after their window (core.tasks).
    """

    scope = models.CharField(_("door"), max_length=40)
    key = models.CharField(_("caller (keyed hash)"), max_length=64)
    window_start = models.DateTimeField(_("window start"))
    hits = models.PositiveIntegerField(_("hits"), default=0)

    class Meta:
        verbose_name = _("rate count")
        verbose_name_plural = _("rate counts")
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "key", "window_start"], name="rate_count_once_per_window"
            )
        ]
        indexes = [models.Index(fields=["window_start"], name="rate_count_window")]

    def __str__(self):
        return f"{self.scope} {self.window_start:%Y-%m-%d %H:%M}: {self.hits}"
