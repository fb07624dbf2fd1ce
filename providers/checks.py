"""System checks for the vetting documents' storage (R-SEC-1)."""

from pathlib import Path

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security)
def private_media_is_not_served(app_configs, **kwargs):
    """PRIVATE_MEDIA_ROOT must not lie inside a folder the web server publishes."""
    private_root = getattr(settings, "PRIVATE_MEDIA_ROOT", None)
    if not private_root:
        return [
            Error(
                "PRIVATE_MEDIA_ROOT is not set.",
                hint="Point it at a folder outside MEDIA_ROOT and STATIC_ROOT.",
                id="providers.E001",
            )
        ]
    private = Path(private_root).resolve()
    public = {
        "MEDIA_ROOT": [settings.MEDIA_ROOT],
        "STATIC_ROOT": [settings.STATIC_ROOT],
        "STATICFILES_DIRS": [
            entry[1] if isinstance(entry, (tuple, list)) else entry
            for entry in getattr(settings, "STATICFILES_DIRS", [])
        ],
    }
    errors = []
    for name, folders in public.items():
        for folder in folders:
            if not folder:
                continue
            served = Path(folder).resolve()
            if private == served or private.is_relative_to(served):
                errors.append(
                    Error(
                        f"PRIVATE_MEDIA_ROOT ({private}) is inside {name} ({served}), which is "
                        "served publicly: vetting documents would be downloadable.",
                        hint=f"Move PRIVATE_MEDIA_ROOT outside {name}.",
                        id="providers.E002",
                    )
                )
    return errors
