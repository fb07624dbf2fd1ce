from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = _("Ratings and quality")
    staff_permissions = {
        "quality": ["view_rating"],
        "support": ["view_rating"],
    }
