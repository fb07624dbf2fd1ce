from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")
    staff_permissions = {
        "support": ["view_order", "view_orderevent", "view_servicetype"],
        "quality": ["view_order", "view_orderevent"],
        "vetting": ["view_servicetype"],
    }
