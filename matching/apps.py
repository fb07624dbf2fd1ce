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
        from core.metrics import register_gauge

        # receivers subscribes to orders' signals.
        from . import receivers, roster, selectors  # noqa: F401

        roster.connect()
        register_gauge(
            "offers_pending",
            "Job offers waiting for the provider's answer.",
            selectors.pending_offer_count,
        )
