"""Matching's services, one module per topic: everything the tasks call, and the provider's and
the operator's answers. The verbs other apps and the edges use are re-exported here.

    offers            `make_offer` (the loop's and the batch's), accept, decline, withdraw,
                      expire; `mark_nobody_left`
    recommendations   the customer picks (`matching_mode`), the rounds, the offer to the choice
    loop              `advance_matching`, `offer_to_next_candidate`: match_order_task's step
    assignment        `assign_by_hand`, by an operator with a reason
    batch             `assign_batch`, `run_batch`, `fail_batch`: a batch's offers, one transaction

Each module imports only those above it in this list (`offers` first), so there is no cycle.
None of them imports matching.tasks, which imports them: the services that queue a task in the
web request (the customer's choice, "show me others", an operator's batch) are in
matching/requests.py, above the tasks. An order sent back to matching (declined, expired,
rescheduled) is queued by orders' `order_requested` signal and matching/receivers.py.
"""

from .assignment import AssignmentError, assign_by_hand
from .loop import advance_matching, offer_to_next_candidate
from .offers import (
    OfferError,
    accept_offer,
    decline_offer,
    expire_stale_offers,
    make_offer,
)
from .recommendations import RecommendationError, matching_mode

__all__ = [
    "AssignmentError",
    "OfferError",
    "RecommendationError",
    "accept_offer",
    "advance_matching",
    "assign_by_hand",
    "decline_offer",
    "expire_stale_offers",
    "make_offer",
    "matching_mode",
    "offer_to_next_candidate",
]
