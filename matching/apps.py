from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MatchingConfig(AppConfig):
    name = "matching"
    verbose_name = _("Matching")
    staff_permissions = {
        "support": ["view_offer"],
        "quality": ["view_offer"],
    }

    def ready(self):
        from . import receivers  # noqa: F401  (subscribes to orders' signals)
