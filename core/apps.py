from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Platform")
    # Support reads what customers and providers were told (accounts/groups.py).
    staff_permissions = {"support": ["view_outgoingmessage"], "quality": ["view_outgoingmessage"]}

    def ready(self):
        # The outbox's tasks live beside it (core/outbox.py), not in core/tasks.py.
        from . import metrics, outbox  # noqa: F401

        # Scrape-time gauges (outbox backlog, queue length, the apps' own) on /metrics.
        metrics.install()
