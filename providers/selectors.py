from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Case, Count, IntegerField, Max, Q, Value, When
from django.utils import timezone
from django.utils.formats import number_format

from .models import Provider, ProviderEvent, ProviderStatus, Scorecard
from .models.core import BOOKABLE_STATUSES, VETTED_STATUSES
from .stages import FUNNEL


def rating_figure(average: float | None) -> str:
    """A rating average as every page and message shows it: one decimal, rounded half up, in
    the active language's number format (the card's header and its reasons agree)."""
    if average is None:
        return ""
    return number_format(Decimal(str(average)).quantize(Decimal("0.1"), ROUND_HALF_UP), 1)


def bookable_providers():
    """Providers who may receive offers (R-VET-6): active or on probation, never anyone else."""
    return Provider.objects.filter(status__in=BOOKABLE_STATUSES, user__is_active=True)


def matching_statuses() -> tuple[str, ...]:
    """The statuses matching looks for: active, and on probation unless
    MATCHING_INCLUDE_PROBATION is off (R-VET-7). The one place that reads the switch."""
    if settings.MATCHING_INCLUDE_PROBATION:
        return BOOKABLE_STATUSES
    return tuple(status for status in BOOKABLE_STATUSES if status != ProviderStatus.PROBATION)


def matchable_providers():
    """Bookable providers whose status matching looks for now (`matching_statuses`)."""
    return bookable_providers().filter(status__in=matching_statuses())


# The vetting funnel (R-VET-3, R-OPS-1) --------------------------------------------------------


@dataclass(frozen=True)
class FunnelStage:
    status: str
    label: str
    # Distinct providers who reached this stage, or a later one, in the range.
    reached: int
    # Of those, the % who reached the next stage (None on the last stage or when nobody reached).
    conversion: float | None
    # Providers who left from this stage in the range.
    rejected: int
    withdrawn: int


@dataclass(frozen=True)
class VettingFunnel:
    start: date
    end: date
    stages: list[FunnelStage]
    # Providers brought in already vetted (import_vetted_provider): counted only as active.
    imported: int
    interviews_recorded: int
    interviews_passed: int

    @property
    def interview_pass_rate(self) -> float | None:
        return _percent(self.interviews_passed, self.interviews_recorded)

    @property
    def is_empty(self) -> bool:
        return not (
            any(stage.reached or stage.rejected or stage.withdrawn for stage in self.stages)
            or self.interviews_recorded
        )


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _local_day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, the day after end 00:00) in the current time zone."""
    return (
        timezone.make_aware(datetime.combine(start, time.min)),
        timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min)),
    )


def vetting_funnel(*, start: date, end: date) -> VettingFunnel:
    """How many providers reached each stage of `stages.FUNNEL` between two local days (both
    included), read from the ProviderEvent audit trail.

    A provider counts once per stage: reaching a later stage counts as having passed the earlier
    ones, so the numbers never grow down the funnel. Going back (a cancelled interview) or coming
    back after a suspension (suspended/probation/removal review -> active) is not progress.
    Providers imported as already vetted reached only 'active' and do not count as conversions.
    Rejections and withdrawals are counted against the stage they left from (acceptance review
    counts as training). The interview pass rate is passed scorecards over scorecards recorded in
    the range.
    """
    if end < start:
        raise ValueError("The end of the range is before its start.")
    lower, upper = _local_day_bounds(start, end)
    events = ProviderEvent.objects.filter(at__gte=lower, at__lt=upper)
    position = {status: index for index, status in enumerate(FUNNEL)}

    progress = events.filter(to_status__in=FUNNEL).exclude(from_status__in=VETTED_STATUSES)
    import_event = Q(from_status="", to_status=ProviderStatus.ACTIVE)
    imported = progress.filter(import_event).values("provider_id").distinct().count()
    furthest = (
        progress.exclude(import_event)
        .values("provider_id")
        .annotate(
            furthest=Max(
                Case(
                    *(When(to_status=status, then=Value(i)) for status, i in position.items()),
                    output_field=IntegerField(),
                )
            )
        )
        .values_list("furthest", flat=True)
    )
    at_least = [0] * len(FUNNEL)
    for index in furthest:
        for i in range(index + 1):
            at_least[i] += 1

    exits = {
        status: [0] * len(FUNNEL) for status in (ProviderStatus.REJECTED, ProviderStatus.WITHDRAWN)
    }
    rows = (
        events.filter(to_status__in=list(exits))
        .values("from_status", "to_status")
        .annotate(count=Count("provider_id", distinct=True))
    )
    for row in rows:
        from_status = row["from_status"]
        if from_status == ProviderStatus.UNDER_REVIEW:
            from_status = ProviderStatus.IN_TRAINING
        if from_status in position:
            exits[row["to_status"]][position[from_status]] += row["count"]

    stages = []
    last = len(FUNNEL) - 1
    for i, status in enumerate(FUNNEL):
        stages.append(
            FunnelStage(
                status=str(status),
                label=str(ProviderStatus(status).label),
                reached=at_least[i] + (imported if i == last else 0),
                conversion=None if i == last else _percent(at_least[i + 1], at_least[i]),
                rejected=exits[ProviderStatus.REJECTED][i],
                withdrawn=exits[ProviderStatus.WITHDRAWN][i],
            )
        )

    scorecards = Scorecard.objects.filter(recorded_at__gte=lower, recorded_at__lt=upper).aggregate(
        recorded=Count("id"), passed=Count("id", filter=Q(passed=True))
    )
    return VettingFunnel(
        start=start,
        end=end,
        stages=stages,
        imported=imported,
        interviews_recorded=scorecards["recorded"],
        interviews_passed=scorecards["passed"],
    )
