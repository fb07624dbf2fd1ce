"""Extension points for higher layers, which this layer may not import.

`order_requested` is sent inside the booking transaction whenever an order needs a provider
(new, declined, timed out, or re-opened by an operator); matching subscribes to it.
`order_completed` is sent inside the transaction that completes a job; reviews and payments
(the job's charge and earnings) subscribe to it.
`order_cancelled` is sent inside the transaction that cancels an order, after its fee is
charged; payments subscribes to it (refunds what was paid ahead).
"""

from django.dispatch import Signal

order_requested = Signal()  # kwargs: order
order_completed = Signal()  # kwargs: order
order_cancelled = Signal()  # kwargs: order, actor
