"""Extension points for higher layers, which this layer may not import.

`provider_status_changed` is sent inside the transaction that changes a provider's status
(providers/services/lifecycle.py); matching subscribes to it to withdraw the pending offers of a
provider who may no longer take jobs and pass the orders on at once.
"""

from django.dispatch import Signal

provider_status_changed = Signal()  # kwargs: provider, from_status, to_status
