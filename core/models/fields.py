"""Field helpers for what many models hold the same way."""

from typing import Any

from django.conf import settings
from django.db import models


def user_reference(
    verbose_name,
    *,
    related_name: str = "+",
    optional: bool = False,
    staff_only: bool = False,
    help_text="",
    on_delete=models.PROTECT,
) -> "models.ForeignKey[Any, Any]":
    """A reference to a person (who did something, who is served): a user is never deleted
    from under a record that names them (PROTECT). `optional` allows none (the platform acted,
    nobody yet); `staff_only` offers only operators in forms and the admin."""
    options: dict = {}
    if optional:
        options.update(null=True, blank=True)
    if staff_only:
        options["limit_choices_to"] = {"is_staff": True}
    if help_text:
        options["help_text"] = help_text
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=on_delete,
        related_name=related_name,
        verbose_name=verbose_name,
        **options,
    )
