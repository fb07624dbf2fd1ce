from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProvidersConfig(AppConfig):
    name = "providers"
    verbose_name = _("Providers")
    staff_permissions = {
        "vetting": [
            "view_provider",
            "add_provider",
            "change_provider",
            "view_providerevent",
            "view_skill",
            "view_servicearea",
            "view_workinghours",
            "change_workinghours",
            "add_workinghours",
            "delete_workinghours",
        ],
        "quality": ["view_provider", "change_provider", "view_providerevent"],
        "support": ["view_provider", "view_providerevent"],
    }
