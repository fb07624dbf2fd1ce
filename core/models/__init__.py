"""Abstract models every app builds on, the rate counters, the outbox and the heartbeat; import
them from `core.models`."""

from .access import AccessLog
from .events import EventStatusField, StatusEvent
from .heartbeat import Heartbeat
from .outbox import MessageChannel, MessageStatus, OutboxTask, OutgoingMessage
from .signing import Signature, VersionedText
from .throttle import RateCount

__all__ = [
    "AccessLog",
    "EventStatusField",
    "Heartbeat",
    "MessageChannel",
    "MessageStatus",
    "OutboxTask",
    "OutgoingMessage",
    "RateCount",
    "Signature",
    "StatusEvent",
    "VersionedText",
]
