"""Admin pieces every app uses: actions that ask for a reason, read-only records and timelines."""

from . import outbox as _outbox  # noqa: F401 (registers the messages and the outbox)
from .actions import ReasonForm, action_with_form, action_with_reason, refusal_message
from .readonly import (
    AccessLogAdmin,
    ReadOnlyAdmin,
    ReadOnlyMixin,
    ReadOnlyStackedInline,
    ReadOnlyTabularInline,
    StatusEventAdmin,
    StatusEventInline,
)
from .search import PhoneSearchMixin

__all__ = [
    "AccessLogAdmin",
    "PhoneSearchMixin",
    "ReadOnlyAdmin",
    "ReadOnlyMixin",
    "ReadOnlyStackedInline",
    "ReadOnlyTabularInline",
    "ReasonForm",
    "StatusEventAdmin",
    "StatusEventInline",
    "action_with_form",
    "action_with_reason",
    "refusal_message",
]
