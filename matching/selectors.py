"""Reads for matching: candidates ranked by score, recommendations, the operator's audit, and
the orders a lost task message left waiting."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import (
    Avg,
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.geo import distance_km, order_point, within_travel_radius
from orders.models import Order, OrderStatus
from orders.pricing import price_for_tier, tier_reason
from orders.scheduling import (
    clashing_jobs,
    day_hours_limit,
    eligible_providers,
    with_workload,
)
from providers.models import (
    BOOKABLE_STATUSES,
    Provider,
    ProviderReward,
    ProviderTier,
    TimeOff,
    WorkingHours,
)
from providers.selectors import matching_statuses, rating_figure

from . import ranking, scoring
from .models import Offer, OfferStatus, Recommendation, RecommendationStatus


@dataclass(frozen=True)
class Candidate:
    provider: Provider
    score: scoring.Score


def _hours(duration) -> float:
    return round((duration or timedelta(0)).total_seconds() / 3600, 4)


def with_features(providers, *, order: Order, point=None):
    """Annotate what the score needs, all in the same query: completed jobs of the order's
    service, the customer's good past experience, the distance to the job, an active reward."""
    now = timezone.now()
    completed = (
        Order.objects.filter(
            provider=OuterRef("pk"),
            service_type_id=order.service_type_id,
            status=OrderStatus.COMPLETED,
        )
        .order_by()
        .values("provider")
        .annotate(jobs=Count("pk"))
        .values("jobs")
    )
    rated_well = (
        Order.objects.filter(
            customer_id=order.customer_id,
            provider=OuterRef("pk"),
            customer_rating__isnull=False,
        )
        .order_by()
        .values("provider")
        .annotate(average=Avg("customer_rating"))
        .filter(average__gte=scoring.GOOD_RATING)
    )
    rewarded = ProviderReward.objects.filter(provider=OuterRef("pk"), starts__lte=now).filter(
        Q(ends__isnull=True) | Q(ends__gt=now)
    )
    return providers.annotate(
        service_jobs=Coalesce(
            Subquery(completed, output_field=IntegerField()), Value(0, output_field=IntegerField())
        ),
        past_good=Exists(rated_well),
        rewarded=Exists(rewarded),
        distance=(
            distance_km(point) if point is not None else Value(None, output_field=FloatField())
        ),
    )


FEATURE_FIELDS = (
    "pk",
    "rating_average",
    "rating_count",
    "service_jobs",
    "distance",
    "past_good",
    "week_hours",
    "rewarded",
)


def features_of(row, *, order: Order) -> scoring.CandidateFeatures:
    """The features of a provider annotated by `with_features` and `with_workload`: a model
    instance or a dict of FEATURE_FIELDS."""
    get = row.get if isinstance(row, dict) else lambda name: getattr(row, name)
    distance = get("distance")
    return scoring.CandidateFeatures(
        provider_id=get("pk"),
        rating=get("rating_average"),
        rating_count=get("rating_count"),
        kpi_percent=None,  # the quality KPI does not exist yet: neutral for everyone
        service_jobs=get("service_jobs"),
        distance_km=round(distance, 2) if distance is not None else None,
        past_good_with_customer=get("past_good"),
        week_hours=_hours(get("week_hours")),
        rewarded=get("rewarded"),
        preferred=get("pk") == order.preferred_provider_id,
    )


def candidates_for(order: Order, *, exclude_ids=()):
    """Providers who could take the order, unranked (use `ranked_candidates` for the order).

    Who may take it at all (skills, tier, area or travel radius, working hours, time off, other
    jobs with the gap between them, daily and weekly hours) is
    `orders.scheduling.eligible_providers`. Matching adds its own concerns: a provider is never
    offered the same order twice, never the one a guarantee redo avoids, nor `exclude_ids`.
    """
    already_offered = Offer.objects.filter(order=order, provider=OuterRef("pk"))
    return (
        eligible_providers(
            service_type=order.service_type,
            area=order.area,
            starts_at=order.starts_at,
            ends_at=order.ends_at,
            point=order_point(order),
        )
        .exclude(Exists(already_offered))
        # A guarantee redo goes to someone other than the provider of the unsatisfactory job.
        .exclude(pk=order.avoid_provider_id or 0)
        .exclude(pk__in=list(exclude_ids))
        .order_by("week_hours", "pk")
    )


def passed_over_ids(order: Order) -> list[int]:
    """The providers the customer passed over for the order: never shown or offered it again."""
    return list(
        Recommendation.objects.filter(order=order, status=RecommendationStatus.PASSED).values_list(
            "provider_id", flat=True
        )
    )


def ranked_candidates(
    order: Order, *, limit: int | None = None, exclude_ids=(), weights=None
) -> list[Candidate]:
    """Eligible providers with their Score, best first (ties: fewer hours this week, then the
    lower id), the chosen `limit` loaded as model instances. A fixed number of queries however
    many candidates (matching/ranking.py: the area's candidates with their fixed features,
    their jobs around the order summed per provider, the customer's good ratings, then the
    chosen providers); the rules of `orders.scheduling.eligible_providers` and the scores of
    `scoring.score`, equal to `ranked_candidates_in_sql` (tests/matching/test_ranking.py)."""
    weights = weights or scoring.Weights.from_settings()
    scores = ranking.top_scores(order, limit=limit, exclude_ids=exclude_ids, weights=weights)
    return _with_providers(scores)


def ranked_candidates_in_sql(
    order: Order, *, limit: int | None = None, exclude_ids=(), weights=None
) -> list[Candidate]:
    """`ranked_candidates` computed the reference way: `candidates_for` (one query with a
    subquery per rule and candidate, `orders.scheduling.eligible_providers`) annotated with
    `with_features`, every candidate scored, then the chosen providers loaded. Two queries,
    but slow at scale (bench/README.md); tests/matching/test_ranking.py proves both equal."""
    weights = weights or scoring.Weights.from_settings()
    rows = with_features(
        candidates_for(order, exclude_ids=exclude_ids), order=order, point=order_point(order)
    ).values(*FEATURE_FIELDS)
    scores = scoring.rank(scoring.score(features_of(row, order=order), weights) for row in rows)
    return _with_providers(scores[:limit] if limit is not None else scores)


def _with_providers(scores: list[scoring.Score]) -> list[Candidate]:
    """The scores with their providers (and users) loaded, in one query."""
    if not scores:
        return []
    providers = Provider.objects.select_related("user").in_bulk([s.provider_id for s in scores])
    return [Candidate(providers[s.provider_id], s) for s in scores]


def pending_offer_count() -> int:
    """Offers waiting for a provider's answer (the /metrics gauge)."""
    return Offer.objects.filter(status=OfferStatus.PENDING).count()


def pending_offers_for(*, provider):
    return (
        Offer.objects.filter(provider=provider, status=OfferStatus.PENDING)
        .select_related("order__service_type", "order__area")
        .order_by("order__starts_at")
    )


def recommendations_shown(order: Order):
    """The round the customer is choosing from, best first, with what the page shows."""
    return (
        Recommendation.objects.filter(order=order, status=RecommendationStatus.SHOWN)
        .select_related("provider__user")
        .order_by("round", "rank")
    )


# The operator's audit (R-MAT-1): every provider considered, and why the others were left out.

EXCLUSION_REASONS = {
    "not_vetted": lambda: _("not vetted"),
    "status": lambda: _("suspended, removed or not working with us"),
    "probation": lambda: _("on probation (excluded by the settings)"),
    "not_skilled": lambda: _("lacks a required skill"),
    "below_tier": lambda: _("below the service's qualification tier"),
    "not_in_area": lambda: _("does not serve the area and lives too far"),
    "not_working": lambda: _("not working at that time"),
    "time_off": lambda: _("on time off that day"),
    "busy": lambda: _("busy with another job then (with the travel gap)"),
    "day_limit": lambda: _("over the daily hour limit"),
    "week_limit": lambda: _("over the weekly hour limit"),
    "offered_before": lambda: _("already offered this order (declined, expired or withdrawn)"),
    "released": lambda: _("accepted this order before, then was released from it"),
    "passed": lambda: _("passed over by the customer"),
    "avoided": lambda: _("did the job this redo replaces"),
}

# Providers holding the order, who are neither candidates nor left out: shown apart.
ENGAGEMENTS = {
    "assigned": lambda: _("assigned to this order"),
    "offer_pending": lambda: _("offer pending: waiting for their answer"),
}

# Offers that ended without the provider taking the order: they are never asked again.
CLOSED_OFFER_STATUSES = (OfferStatus.DECLINED, OfferStatus.EXPIRED, OfferStatus.WITHDRAWN)


@dataclass(frozen=True)
class AuditRow:
    provider: Provider
    reasons: list[str]  # codes of EXCLUSION_REASONS; empty when eligible
    score: scoring.Score
    engagement: str = ""  # a code of ENGAGEMENTS: assigned or offered now; "" otherwise

    @property
    def eligible(self) -> bool:
        return not self.reasons and not self.engagement

    @property
    def engaged(self) -> bool:
        return bool(self.engagement)

    @property
    def excluded(self) -> bool:
        return not self.engagement and bool(self.reasons)

    def engagement_text(self) -> str:
        return ENGAGEMENTS[self.engagement]() if self.engagement else ""

    def reason_texts(self) -> list[str]:
        return [EXCLUSION_REASONS[code]() for code in self.reasons]


@dataclass(frozen=True)
class AuditSummary:
    """How the rows of the audit table divide: each row counts in exactly one group."""

    eligible: int
    engaged: int  # assigned to the order or holding its pending offer
    excluded: int

    @property
    def total(self) -> int:
        return self.eligible + self.engaged + self.excluded


def audit_summary(rows: list[AuditRow]) -> AuditSummary:
    return AuditSummary(
        eligible=sum(row.eligible for row in rows),
        engaged=sum(row.engaged for row in rows),
        excluded=sum(row.excluded for row in rows),
    )


def _missing_skill(order: Order):
    """For a provider (the outer query's row): a skill the order's service needs that they
    lack."""
    needed = order.service_type.required_skills.through.objects.filter(
        servicetype_id=order.service_type_id
    )
    held = Provider.skills.through.objects.filter(provider_id=OuterRef(OuterRef("pk")))
    return needed.exclude(skill_id__in=held.values("skill_id"))


def _in_area(order: Order):
    return Provider.areas.through.objects.filter(
        provider_id=OuterRef("pk"), servicearea_id=order.area_id
    )


def considered_providers(order: Order):
    """Everyone matching looked at for the order: vetted providers serving the area or within
    range of the job, or holding every skill the service needs. Ordered by name."""
    point = order_point(order)
    return (
        Provider.objects.filter(vetting_completed_at__isnull=False)
        .filter(
            Q(Exists(_in_area(order)))
            | within_travel_radius(point)
            | ~Q(Exists(_missing_skill(order)))
        )
        .order_by("user__full_name", "pk")
    )


@dataclass(frozen=True)
class _HourLimits:
    """The most a provider may have worked that day and week before the order is counted."""

    day: timedelta
    week: timedelta


def audit_rows(order: Order, providers, *, weights=None) -> list[AuditRow]:
    """The exclusion reasons and score of each of `providers` (a page of
    `considered_providers`), in one query whatever the page's size."""
    weights = weights or scoring.Weights.from_settings()
    by_pk = {row.pk: row for row in _audit_query(order, providers).select_related("user")}
    duration = order.ends_at - order.starts_at
    limits = _HourLimits(
        day=day_hours_limit(duration) - duration,
        week=timedelta(hours=settings.MAX_WORK_HOURS_PER_WEEK) - duration,
    )
    statuses = matching_statuses()
    result = []
    for provider in providers:
        row = by_pk[provider.pk]
        result.append(
            AuditRow(
                provider=row,
                reasons=_exclusion_reasons(row, order, limits, statuses),
                score=scoring.score(features_of(row, order=order), weights),
                engagement=_engagement(row, order),
            )
        )
    return result


def _audit_query(order: Order, providers):
    """The providers annotated with every fact the exclusion reasons and the score read."""
    local_start = timezone.localtime(order.starts_at)
    local_end = timezone.localtime(order.ends_at)
    tiers = [tier for tier in ProviderTier.values if order.service_type.accepts_tier(tier)]
    point = order_point(order)
    return with_features(
        with_workload(
            Provider.objects.filter(pk__in=[p.pk for p in providers]),
            starts_at=order.starts_at,
            exclude_order_id=order.pk,
        ),
        order=order,
        point=point,
    ).annotate(
        missing_skill=Exists(_missing_skill(order)),
        in_area=Exists(_in_area(order)),
        near=ExpressionWrapper(within_travel_radius(point), output_field=BooleanField()),
        tier_ok=ExpressionWrapper(Q(tier__in=tiers), output_field=BooleanField()),
        works_then=Exists(
            WorkingHours.objects.filter(
                provider=OuterRef("pk"),
                weekday=local_start.weekday(),
                starts__lte=local_start.time(),
                ends__gte=local_end.time(),
            )
        ),
        off_then=Exists(
            TimeOff.objects.filter(
                provider=OuterRef("pk"),
                starts_on__lte=local_end.date(),
                ends_on__gte=local_start.date(),
            )
        ),
        busy_then=Exists(
            clashing_jobs(
                provider_ref=OuterRef("pk"), starts_at=order.starts_at, ends_at=order.ends_at
            ).exclude(pk=order.pk)
        ),
        # At most one offer per order and provider (offer_once_per_provider).
        offer_status=Subquery(
            Offer.objects.filter(order=order, provider=OuterRef("pk")).values("status")[:1]
        ),
        passed=Exists(
            Recommendation.objects.filter(
                order=order, provider=OuterRef("pk"), status=RecommendationStatus.PASSED
            )
        ),
    )


def _exclusion_reasons(row, order: Order, limits: _HourLimits, statuses) -> list[str]:
    """The codes of EXCLUSION_REASONS that apply to an annotated row of `_audit_query`;
    `statuses` are those matching looks for (`providers.selectors.matching_statuses`)."""
    reasons = []
    if row.vetting_completed_at is None:
        reasons.append("not_vetted")
    if row.status not in BOOKABLE_STATUSES or not row.user.is_active:
        reasons.append("status")
    elif row.status not in statuses:
        reasons.append("probation")
    checks = (
        ("not_skilled", row.missing_skill),
        ("below_tier", not row.tier_ok),
        ("not_in_area", not (row.in_area or row.near)),
        ("not_working", not row.works_then),
        ("time_off", row.off_then),
        ("busy", row.busy_then),
        ("day_limit", row.day_hours > limits.day),
        ("week_limit", row.week_hours > limits.week),
    )
    reasons.extend(code for code, applies in checks if applies)
    assigned = order.provider_id is not None and row.pk == order.provider_id
    # The assigned provider holds the order, whatever became of an earlier offer (by hand).
    if not assigned and row.offer_status in CLOSED_OFFER_STATUSES:
        reasons.append("offered_before")
    elif not assigned and row.offer_status == OfferStatus.ACCEPTED:
        reasons.append("released")  # e.g. the order moved to a time they are not free
    if row.passed:
        reasons.append("passed")
    if row.pk == order.avoid_provider_id:
        reasons.append("avoided")
    return reasons


def _engagement(row, order: Order) -> str:
    """A code of ENGAGEMENTS when the provider holds the order now, else ""."""
    if order.provider_id is not None and row.pk == order.provider_id:
        return "assigned"
    if row.offer_status == OfferStatus.PENDING:
        return "offer_pending"
    return ""


@dataclass(frozen=True)
class RecommendationCard:
    """What the customer sees of one recommended provider."""

    recommendation: Recommendation
    provider: Provider
    score: scoring.Score
    reasons: list[scoring.Reason]
    price: object  # Decimal in settings.CURRENCY
    reviews: list[dict]
    price_reason: str = ""  # e.g. "Provider tier: Experienced (x1.15)"

    @property
    def rating(self) -> str:
        return rating_figure(self.provider.rating_average)


def recommendation_cards(order: Order) -> list[RecommendationCard]:
    """The shown round as cards, reasons in the active language. A fixed number of queries:
    the round (at most three) and the order's price inputs, however many candidates exist."""
    cards = []
    for recommendation in recommendations_shown(order):
        provider = recommendation.provider
        score = scoring.Score.from_dict(recommendation.score).with_rating(
            provider.rating_average, provider.rating_count
        )
        cards.append(
            RecommendationCard(
                recommendation=recommendation,
                provider=provider,
                score=score,
                reasons=score.reasons(service_name=_(order.service_type.name), limit=4),
                price=price_for_tier(order, provider.tier),
                reviews=list(provider.recent_reviews or [])[:3],
                price_reason=tier_reason(order, provider.tier),
            )
        )
    return cards


def orders_for_choosing(*, customer):
    """The customer's own orders with what the recommendation page needs."""
    return (
        Order.objects.filter(customer=customer)
        .select_related("service_type", "area", "provider__user", "price_book")
        .prefetch_related("options")
    )


def choice_awaiting_offer(order: Order) -> bool:
    """The customer chose a provider and the task has not made the offer yet."""
    return (
        Recommendation.objects.filter(order=order, status=RecommendationStatus.CHOSEN)
        .exclude(provider__in=Offer.objects.filter(order=order).values("provider"))
        .exists()
    )


def orders_stuck_in_matching():
    """Requested orders nobody picked up: a lost task message left them waiting."""
    cutoff = timezone.now() - timedelta(minutes=settings.MATCHING_SWEEP_AFTER_MINUTES)
    return Order.objects.filter(
        status=OrderStatus.REQUESTED, status_changed_at__lte=cutoff
    ).values_list("pk", flat=True)
