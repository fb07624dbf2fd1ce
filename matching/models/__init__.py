"""Matching's models, one module per concern; import them from `matching.models`.

offers            `Offer`: an order proposed to one provider, answered or expired
recommendations   `Recommendation`: the rounds of providers a customer picks from
batch             `BatchRun`: an operator's batch assignment, its plan and result
"""

from .batch import BatchRun, BatchStatus
from .offers import Offer, OfferStatus
from .recommendations import Recommendation, RecommendationStatus

__all__ = [
    "BatchRun",
    "BatchStatus",
    "Offer",
    "OfferStatus",
    "Recommendation",
    "RecommendationStatus",
]
