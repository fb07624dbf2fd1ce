from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupportConfig(AppConfig):
    name = "support"
    verbose_name = _("Support")
    staff_permissions = {
        "support": ["view_ticket", "add_ticket", "change_ticket", "view_ticketevent"],
        "quality": ["view_ticket", "change_ticket", "view_ticketevent"],
    }
