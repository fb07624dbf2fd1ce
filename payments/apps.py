from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    """Customers' payments through a gateway, refunds, receipts, and providers' earnings,
    statements and payouts (R-PAY-2..5). It sits above orders (a payment is for an order, an
    earning comes from a completed job) and below matching, reviews and support, which may
    refund and compensate through it; every amount it moves is posted to the ledger."""

    name = "payments"
    verbose_name = _("Payments")
    staff_permissions = {
        "support": ["view_payment", "view_refund", "view_receipt"],
        "quality": ["view_payment"],
    }

    def ready(self):
        from . import receivers  # noqa: F401  (connects to orders' signals)
