from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

FEEDBACK_CALL_PERMISSIONS = ["view_providerfeedbackcall", "change_providerfeedbackcall"]


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = _("Ratings and quality")
    staff_permissions = {
        "quality": ["view_rating", *FEEDBACK_CALL_PERMISSIONS],
        "support": ["view_rating", *FEEDBACK_CALL_PERMISSIONS],
        # Vetting staff see the calls on the provider's record, read only.
        "vetting": ["view_providerfeedbackcall"],
    }

    def ready(self):
        from . import receivers  # noqa: F401  (subscribes to orders' signals)
