from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from core.lifecycle import Lifecycle

from .models import Ticket, TicketEvent
from .models import TicketStatus as S

ALLOWED_TRANSITIONS = {
    S.OPEN: {S.IN_PROGRESS, S.RESOLVED, S.CLOSED},
    S.IN_PROGRESS: {S.RESOLVED, S.OPEN},
    S.RESOLVED: {S.CLOSED, S.OPEN},
    S.CLOSED: set(),
}
REFUSAL = gettext_lazy("A ticket that is %(current)s cannot become %(target)s.")


class TicketError(ValidationError):
    pass


TICKET_LIFECYCLE = Lifecycle(
    allowed=ALLOWED_TRANSITIONS, event_model=TicketEvent, error=TicketError, refusal=REFUSAL
)


def ticket_refusal(*, opened_by, subject: str, body: str, order=None) -> str | None:
    """Why such a ticket cannot be opened, or None."""
    if order is not None and order.customer_id != opened_by.pk and not opened_by.is_staff:
        return _("You can only open tickets about your own orders.")
    if not subject.strip() or not body.strip():
        return _("Write a subject and a message.")
    return None


@transaction.atomic
def open_ticket(*, opened_by, subject: str, body: str, order=None, recorded_by=None) -> Ticket:
    """A request for help from `opened_by` (a customer about their order, or anyone without
    one). `recorded_by` is the support agent who wrote it down from a call; the timeline names
    them."""
    refusal = ticket_refusal(opened_by=opened_by, subject=subject, body=body, order=order)
    if refusal:
        raise TicketError(refusal)
    ticket = Ticket.objects.create(
        order=order, opened_by=opened_by, subject=subject.strip(), body=body.strip()
    )
    if recorded_by is not None:
        TICKET_LIFECYCLE.begin(
            ticket, actor=recorded_by, reason=gettext_noop("Recorded by support for the caller")
        )
    else:
        TICKET_LIFECYCLE.begin(ticket, actor=opened_by, reason=gettext_noop("Opened"))
    return ticket


@transaction.atomic
def change_ticket_status(*, ticket: Ticket, to: str, actor, reason: str = "") -> Ticket:
    return TICKET_LIFECYCLE.transition(ticket, to, actor=actor, reason=reason.strip())
