from .models import Ticket


def tickets_for_user(*, user):
    return Ticket.objects.filter(opened_by=user).select_related("order__service_type")
