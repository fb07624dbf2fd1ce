"""Extension points for higher layers, which this layer may not import.

`order_requested` is sent inside the booking transaction whenever an order needs a provider
(new, declined, timed out, or re-opened by an operator); matching subscribes to it.
`order_completed` is sent inside the transaction that completes a job; reviews subscribes to it.
"""

from django.dispatch import Signal

order_requested = Signal()  # kwargs: order
order_completed = Signal()  # kwargs: order
