"""Field helpers for what many models hold the same way."""

from typing import Any

from django.conf import settings
from django.db import models


def reference(
    to,
    verbose_name,
    *,
    related_name: str = "+",
    optional: bool = False,
    on_delete=models.PROTECT,
    **options: Any,
) -> "models.ForeignKey[Any, Any]":
    """A reference to another record as most of ours are: the record referred to is never
    deleted from under this one (PROTECT unless told), no reverse accessor unless one is named,
    and `optional` allows none (null in the database, blank in forms)."""
    if optional:
        options.update(null=True, blank=True)
    return models.ForeignKey(
        to, on_delete=on_delete, related_name=related_name, verbose_name=verbose_name, **options
    )


def user_reference(verbose_name, *, staff_only: bool = False, **kwargs: Any):
    """A reference to a person (who did something, who is served); `staff_only` offers only
    operators in forms and the admin. Otherwise as `reference`."""
    if staff_only:
        kwargs["limit_choices_to"] = {"is_staff": True}
    return reference(settings.AUTH_USER_MODEL, verbose_name, **kwargs)
