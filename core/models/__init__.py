"""Abstract models every app builds on; import them from `core.models`."""

from .access import AccessLog
from .events import EventStatusField, StatusEvent
from .signing import Signature, VersionedText

__all__ = ["AccessLog", "EventStatusField", "Signature", "StatusEvent", "VersionedText"]
