"""What every order service shares: the order's lifecycle table, its errors, row locks, and the
one way an order's status changes (`transition`, on `core.lifecycle`).

    requested -> offered -> confirmed -> in_progress -> completed
    requested -> no_provider            (nobody can take it; the customer is told)
    offered -> requested                (declined, expired or withdrawn: matching runs again)
    no_provider -> requested            (an operator retries)
    requested | offered | no_provider | confirmed -> cancelled
    requested | no_provider -> confirmed   (an operator assigns by hand)
    confirmed -> requested              (rescheduled to a time the provider is not free)
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.lifecycle import Lifecycle
from core.notifications import notify_user
from providers.models import Provider

from ..models import Order, OrderEvent
from ..models import OrderStatus as S

ALLOWED_TRANSITIONS = {
    S.REQUESTED: {S.OFFERED, S.NO_PROVIDER, S.CANCELLED, S.CONFIRMED},
    S.OFFERED: {S.CONFIRMED, S.REQUESTED, S.NO_PROVIDER, S.CANCELLED},
    S.NO_PROVIDER: {S.REQUESTED, S.CANCELLED, S.CONFIRMED},
    S.CONFIRMED: {S.IN_PROGRESS, S.CANCELLED, S.REQUESTED},
    S.IN_PROGRESS: {S.COMPLETED},
    S.COMPLETED: set(),
    S.CANCELLED: set(),
}
REFUSAL = gettext_lazy("This order is %(current)s and cannot become %(target)s.")


class OrderError(ValidationError):
    """A business rule refused the change; the message is for the user."""


class DoubleBookingError(OrderError):
    pass


class ScheduleLimitError(OrderError):
    """The provider is on time off or would work more hours than allowed (R-ORD-5)."""


ORDER_LIFECYCLE = Lifecycle(
    allowed=ALLOWED_TRANSITIONS, event_model=OrderEvent, error=OrderError, refusal=REFUSAL
)
# Move an order under its row lock, recording who and why; a note on its timeline (a
# check-in, a claim) keeps its status; the first event of a new order.
transition = ORDER_LIFECYCLE.transition
add_note = ORDER_LIFECYCLE.add_note
begin = ORDER_LIFECYCLE.begin


def locked(order: Order) -> Order:
    return Order.objects.select_for_update().get(pk=order.pk)


def locked_for_provider(order: Order, provider: Provider) -> Order:
    order = locked(order)
    if order.provider_id != provider.pk:
        raise OrderError(_("This job is not assigned to you."))
    return order


def tell_provider(order_id: int, template: str, **context) -> None:
    """Message the order's provider with `orders/notifications/<template>` (after a commit)."""
    order = Order.objects.select_related("provider__user", "service_type").get(pk=order_id)
    notify_user(
        user=order.provider.user,
        template=f"orders/notifications/{template}",
        context={"order": order, **context},
    )
