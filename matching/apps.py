from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MatchingConfig(AppConfig):
    name = "matching"
    verbose_name = _("Matching")
    staff_permissions = {
        # Support takes phone orders and calls customers of unmatched orders: it may audit the
        # candidates and assign by hand.
        "support": [
            "view_offer",
            "view_recommendation",
            "audit_matching",
            "run_batch_assignment",  # the batch assignment page (views/batch.py)
            "view_batchrun",
        ],
        "quality": ["view_offer", "view_recommendation"],
    }

    def ready(self):
        from . import receivers, roster  # noqa: F401  (receivers subscribes to orders' signals)

        roster.connect()
