"""The person cared for (R-ORD-1): the intake rules, who may see the details, and staff reads.

Every channel (web form, phone, API) hands `booking.check_booking` a `CareDetails`; the rules
here are the last word whatever the channel checked before. The details are shown only where
`can_see_care_details` allows: the customer who booked, the assigned provider while the job is
theirs (confirmed, in progress, completed: never in an offer), and staff holding
`orders.view_carerecipient`, whose reads are logged.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ..models import CareRecipient, CareRecipientAccess, Condition, Mobility, Order
from ..models import OrderStatus as S
from ..models.care import LANGUAGE_MAX, MAX_AGE

# Only while the job is the provider's own; an offer (before acceptance) shows none of it.
PROVIDER_SEES_IN = (S.CONFIRMED, S.IN_PROGRESS, S.COMPLETED)
STAFF_PERMISSION = "orders.view_carerecipient"

NAME_MAX = 150
TEXT_MAX = 2000


@dataclass(frozen=True)
class CareDetails:
    """What intake says about the person cared for, as entered."""

    full_name: str = ""
    age: int | None = None
    mobility: str = ""
    conditions: tuple[str, ...] = field(default_factory=tuple)
    other_conditions: str = ""
    language: str = ""
    special_needs: str = ""


def validate_care(details: CareDetails | None) -> CareDetails:
    """Check the details of the person cared for; return them trimmed.

    Raises ValidationError with messages keyed by CareDetails field names."""
    if details is None:
        raise ValidationError(
            {"full_name": _("This service asks about the person cared for: fill in their details.")}
        )
    errors = {}
    name = details.full_name.strip()
    if not name:
        errors["full_name"] = _("Enter the name of the person cared for.")
    elif len(name) > NAME_MAX:
        errors["full_name"] = _("The name can be at most %(max)s characters.") % {"max": NAME_MAX}
    if details.age is None:
        errors["age"] = _("Enter the age of the person cared for.")
    elif not 1 <= details.age <= MAX_AGE:
        errors["age"] = _("Enter an age from 1 to %(max)s.") % {"max": MAX_AGE}
    if details.mobility not in Mobility.values:
        errors["mobility"] = _("Choose how well the person cared for can move.")
    unknown = [code for code in details.conditions if code not in Condition.values]
    if unknown:
        errors["conditions"] = _("Choose conditions from the list, or describe them below.")
    language = details.language.strip()
    if not language:
        errors["language"] = _("Enter the language the person cared for speaks.")
    elif len(language) > LANGUAGE_MAX:
        errors["language"] = _("The language can be at most %(max)s characters.") % {
            "max": LANGUAGE_MAX
        }
    for name_of_text in ("other_conditions", "special_needs"):
        if len(getattr(details, name_of_text)) > TEXT_MAX:
            errors[name_of_text] = _("Write at most %(max)s characters.") % {"max": TEXT_MAX}
    if errors:
        raise ValidationError(errors)
    return CareDetails(
        full_name=name,
        age=details.age,
        mobility=details.mobility,
        conditions=tuple(dict.fromkeys(details.conditions)),  # once each, in the order given
        other_conditions=details.other_conditions.strip(),
        language=language,
        special_needs=details.special_needs.strip(),
    )


def create_care_recipient(*, order: Order, details: CareDetails) -> CareRecipient:
    """Save validated details for a new order (inside the booking transaction)."""
    assert details.age is not None  # validate_care requires it
    return CareRecipient.objects.create(
        order=order,
        full_name=details.full_name,
        age=details.age,
        mobility=details.mobility,
        condition_codes=",".join(details.conditions),
        other_conditions=details.other_conditions,
        language=details.language,
        special_needs=details.special_needs,
    )


def can_see_care_details(order: Order, user) -> bool:
    """May `user` see the details of the person cared for in `order`?"""
    if user is None or not user.is_authenticated:
        return False
    if order.customer_id == user.pk:
        return True
    provider = getattr(user, "provider", None)
    if (
        provider is not None
        and order.provider_id == provider.pk
        and order.status in PROVIDER_SEES_IN
    ):
        return True
    return user.is_staff and user.has_perm(STAFF_PERMISSION)


def care_recipient_for(order: Order, user) -> CareRecipient | None:
    """The details of the person cared for if there are any and `user` may see them."""
    if not can_see_care_details(order, user):
        return None
    return CareRecipient.objects.filter(order=order).first()


def log_staff_access(*, care_recipient: CareRecipient, user, ip_address: str | None) -> None:
    """Record that a member of staff opened the details (the customer and provider are not
    logged: the details are theirs to see by the nature of the job)."""
    CareRecipientAccess.record(care_recipient, user=user, ip_address=ip_address)


def care_details_of(order: Order) -> CareDetails | None:
    """The details recorded with `order`, to book another visit for the same person (a
    guarantee redo, the next visit of a series)."""
    recipient = CareRecipient.objects.filter(order=order).first()
    if recipient is None:
        return None
    return CareDetails(
        full_name=recipient.full_name,
        age=recipient.age,
        mobility=recipient.mobility,
        conditions=tuple(recipient.conditions),
        other_conditions=recipient.other_conditions,
        language=recipient.language,
        special_needs=recipient.special_needs,
    )
