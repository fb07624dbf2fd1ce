from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")
    staff_permissions = {
        "support": [
            "view_order",
            "view_orderevent",
            "view_servicetype",
            # Recurring series: support pauses, resumes and ends them for callers (with reasons).
            "view_recurringseries",
            "change_recurringseries",
            "view_seriesoccurrence",
            "view_seriesevent",
            "view_seriesagreement",
            # R-ORD-1, R-ORD-6: the person cared for (each read logged), check-ins and reports.
            "view_carerecipient",
            "view_arrivalcheckin",
            "view_completionreport",
        ],
        "quality": [
            "view_order",
            "view_orderevent",
            "view_arrivalcheckin",
            "view_completionreport",
        ],
        "vetting": ["view_servicetype"],
    }

    def ready(self):
        from core.metrics import register_gauge

        from . import availability, catalogue_cache, selectors

        availability.connect()
        catalogue_cache.connect()
        register_gauge(
            "orders_looking_for_provider",
            "Orders waiting for a provider (status requested).",
            selectors.looking_for_provider_count,
        )
