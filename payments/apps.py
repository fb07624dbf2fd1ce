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
        # Finance: refunds, commission tables, payout runs and the books behind them.
        "finance": [
            "view_payment",
            "view_refund",
            "view_receipt",
            "refund_payment",
            "view_earningrecord",
            "view_payoutaccount",
            "view_commissiontable",
            "add_commissiontable",
            "change_commissiontable",
            "publish_commissiontable",
            "view_commissionrule",
            "add_commissionrule",
            "change_commissionrule",
            "delete_commissionrule",
            "view_payoutrun",
            "add_payoutrun",
            "change_payoutrun",
            "run_payouts",
        ],
    }

    def ready(self):
        from . import receivers  # noqa: F401  (connects to orders' signals)
