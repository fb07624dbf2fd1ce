from .models import Order, ServiceType


def bookable_service_types():
    return ServiceType.objects.filter(is_active=True)


def orders_for_customer(*, customer):
    return Order.objects.filter(customer=customer).select_related(
        "service_type", "area", "provider__user"
    )


def jobs_for_provider(*, provider):
    return Order.objects.filter(provider=provider).select_related(
        "service_type", "area", "customer"
    )
