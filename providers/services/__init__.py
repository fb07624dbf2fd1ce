"""Provider services, one module per topic. The lifecycle's verbs are re-exported here."""

from .lifecycle import (
    ALLOWED_TRANSITIONS,
    ProviderTransitionError,
    activate_provider,
    activation_blockers,
    handle_low_ratings,
    import_vetted_provider,
    note_rating_on_probation,
    open_removal_review,
    place_on_probation,
    reinstate_provider,
    reject_application,
    remove_provider,
    screen_application,
    suspend_provider,
    withdraw_application,
)

__all__ = [
    "ALLOWED_TRANSITIONS",
    "ProviderTransitionError",
    "activate_provider",
    "activation_blockers",
    "handle_low_ratings",
    "import_vetted_provider",
    "note_rating_on_probation",
    "open_removal_review",
    "place_on_probation",
    "reinstate_provider",
    "reject_application",
    "remove_provider",
    "screen_application",
    "suspend_provider",
    "withdraw_application",
]
