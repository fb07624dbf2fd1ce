"""The one way a status changes (R-ORD-3, R-SEC-2).

Each lifecycle keeps its allowed-transitions table and its refusal message in its own app; the
mechanics are here, written once:

    transition(order, OrderStatus.CONFIRMED, allowed=ALLOWED_TRANSITIONS,
               event_model=OrderEvent, actor=user, reason=..., provider=provider)

locks the subject's row, checks the table against its current status, saves the new status (and
`status_changed_at`, and any extra `fields`) with `update_fields`, writes the event row, and
schedules `notify(event_id)` for after the commit, all in the caller's transaction. The
caller's object is updated to match. `add_note()` writes an event without changing the status (a
check-in, a claim): the timeline shows it as a note.
"""

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from .models import StatusEvent
from .outbox import after_commit

M = TypeVar("M", bound=models.Model)

DEFAULT_REFUSAL = gettext_lazy("Something that is %(current)s cannot become %(target)s.")


class TransitionError(ValidationError):
    """The change is not allowed from the current status; the message says why."""


def status_label(model: type[models.Model], status: str) -> str:
    """The status's label in the active language, lower-cased for use inside a sentence."""
    field = model._meta.get_field("status")
    assert isinstance(field, models.Field)
    choices = dict(field.flatchoices)
    return str(choices.get(status, status)).lower()


def transition(
    obj: M,
    to: str,
    *,
    allowed: Mapping[Any, Collection[str]],
    event_model: type[StatusEvent],
    actor,
    reason: str,
    error: type[ValidationError] = TransitionError,
    refusal=DEFAULT_REFUSAL,
    notify: Callable[[int], object] | None = None,
    event_fields: Mapping[str, object] | None = None,
    **fields,
) -> M:
    """Move `obj` to status `to` and record who, when, from, to and why (see the module doc).

    `refusal` is a translatable message with %(current)s and %(target)s, raised as `error`
    when the table does not allow the change; `event_fields` are the event model's own columns.
    """
    model = type(obj)
    with transaction.atomic(savepoint=False):
        locked: Any = model._default_manager.select_for_update().get(pk=obj.pk)
        current = locked.status
        if to not in allowed.get(current, ()):
            raise error(
                str(refusal)
                % {"current": status_label(model, current), "target": status_label(model, to)},
                code="transition",
            )
        changed = {"status": to, **fields}
        if any(field.name == "status_changed_at" for field in model._meta.concrete_fields):
            changed["status_changed_at"] = timezone.now()
        for name, value in changed.items():
            setattr(locked, name, value)
        locked.save(update_fields=list(changed))
        event = event_model.record(
            locked,
            from_status=current,
            to_status=to,
            actor=actor,
            reason=reason,
            **(event_fields or {}),
        )
        if notify is not None:
            after_commit(notify, event.pk)
    for name in changed:
        setattr(obj, name, getattr(locked, name))
    return obj


def add_note(obj, *, event_model: type[StatusEvent], actor, reason: str, **event_fields):
    """An event on the subject's timeline that leaves its status as it is."""
    return event_model.record(
        obj,
        from_status=obj.status,
        to_status=obj.status,
        actor=actor,
        reason=reason,
        **event_fields,
    )


@dataclass(frozen=True)
class Lifecycle:
    """One state machine: its table of allowed changes, its event table, how a refused change
    is worded and raised, and who is told of a change (by event id, after the commit). Its
    app declares it once; `transition`, `add_note` and `begin` write through it."""

    allowed: Mapping[Any, Collection[str]]
    event_model: type[StatusEvent]
    error: type[ValidationError] = TransitionError
    refusal: Any = DEFAULT_REFUSAL
    notify: Callable[[int], object] | None = None

    def transition(
        self, obj: M, to: str, *, actor, reason: str, notify: bool = True, **fields
    ) -> M:
        """`transition()` with this lifecycle's table; `event_fields` go to the event row."""
        return transition(
            obj,
            to,
            allowed=self.allowed,
            event_model=self.event_model,
            actor=actor,
            reason=reason,
            error=self.error,
            refusal=self.refusal,
            notify=self.notify if notify else None,
            **fields,
        )

    def add_note(self, obj, *, actor, reason: str, **event_fields):
        return add_note(
            obj, event_model=self.event_model, actor=actor, reason=reason, **event_fields
        )

    def begin(self, obj, *, actor, reason: str, **event_fields):
        """The first event of a new subject: from nothing to its initial status."""
        return self.event_model.record(
            obj, from_status="", to_status=obj.status, actor=actor, reason=reason, **event_fields
        )
