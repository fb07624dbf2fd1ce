from django.db import transaction
from django.utils import translation

from .models import Role, User


@transaction.atomic
def register_customer(*, full_name: str, phone, email: str, password: str) -> User:
    return User.objects.create_user(
        phone=phone,
        password=password,
        full_name=full_name,
        email=email,
        role=Role.CUSTOMER,
        preferred_language=translation.get_language() or "",
    )
