from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    """The company's books (R-PAY-1): every movement of money is one balanced journal entry.
    It sits above providers and below orders, so orders, reviews and support post to it."""

    name = "ledger"
    verbose_name = _("Ledger")
    # Support and quality read the books of the customers and providers they help.
    staff_permissions = {
        "support": ["view_ledgeraccount", "view_journalentry"],
        "quality": ["view_ledgeraccount", "view_journalentry"],
        "finance": ["view_ledgeraccount", "view_journalentry", "reverse_journalentry"],
    }
