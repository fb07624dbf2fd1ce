"""Abstract models every app builds on, and the rate counters; import them from `core.models`."""

from .access import AccessLog
from .events import EventStatusField, StatusEvent
from .outbox import MessageChannel, MessageStatus, OutboxTask, OutgoingMessage
from .signing import Signature, VersionedText
from .throttle import RateCount

__all__ = [
    "AccessLog",
    "EventStatusField",
    "MessageChannel",
    "MessageStatus",
    "OutboxTask",
    "OutgoingMessage",
    "RateCount",
    "Signature",
    "StatusEvent",
    "VersionedText",
]
