"""The managers' money overview (R-PAY-1, R-PAY-4): takings, commission, refunds and payouts per
day or month, with a table and bar charts drawn on the server (no script: the CSP allows none
inline, and the page works without any).

Staff who may read the books (`ledger.view_journalentry`: support, quality) and superusers;
anyone else signed in gets 403, a visitor is sent to log in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import wraps

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from ..money import from_minor
from ..reports import DAY, MONTH, Overview, money_overview, month_start

PERMISSION = "ledger.view_journalentry"
DEFAULT_DAYS = 30
DEFAULT_MONTHS = 12
MAX_DAYS = 366
MAX_MONTHS = 120

# The figures of the table and of the charts, in their order.
SHOWN = (
    ("takings", gettext_lazy("Takings")),
    ("commission", gettext_lazy("Commission and fees")),
    ("refunds", gettext_lazy("Refunds")),
    ("payouts", gettext_lazy("Payouts")),
)

CHART_WIDTH = 600
CHART_HEIGHT = 160


def money_staff_required(view):
    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not (request.user.is_staff and request.user.has_perm(PERMISSION)):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def default_range(period: str, today: date) -> tuple[date, date]:
    """The last 30 days, or the last 12 months (this one included), up to today."""
    if period == MONTH:
        first = month_start(today)
        for _month in range(DEFAULT_MONTHS - 1):
            first = month_start(first - timedelta(days=1))
        return first, today
    return today - timedelta(days=DEFAULT_DAYS - 1), today


class OverviewForm(forms.Form):
    """`?period=day|month&from=YYYY-MM-DD&to=YYYY-MM-DD`; missing dates take the default range."""

    period = forms.ChoiceField(
        label=gettext_lazy("Per"),
        choices=[(DAY, gettext_lazy("Day")), (MONTH, gettext_lazy("Month"))],
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # "from" and "to" are the query's names; Python will not take them as attributes.
        self.fields["from"] = forms.DateField(
            label=gettext_lazy("From"),
            required=False,
            widget=forms.DateInput(attrs={"type": "date"}),
        )
        self.fields["to"] = forms.DateField(
            label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
        )

    def clean(self):
        cleaned = super().clean()
        period = cleaned.get("period") or DAY
        start, end = cleaned.get("from"), cleaned.get("to")
        if self.errors:
            return cleaned
        default_start, default_end = default_range(period, timezone.localdate())
        start, end = start or default_start, end or default_end
        if end < start:
            raise forms.ValidationError(_("The end date must be on or after the start date."))
        if period == DAY and (end - start).days + 1 > MAX_DAYS:
            raise forms.ValidationError(
                _("Show at most %(count)s days at once; for a longer range show months.")
                % {"count": MAX_DAYS}
            )
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        if period == MONTH and months > MAX_MONTHS:
            raise forms.ValidationError(
                _("Show at most %(count)s months at once.") % {"count": MAX_MONTHS}
            )
        cleaned.update({"period": period, "start": start, "end": end})
        return cleaned


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    amount: Decimal


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    bars: list[Bar]
    maximum: Decimal
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT


def _label(day: date, period: str) -> str:
    return date_format(day, "YEAR_MONTH_FORMAT" if period == MONTH else "SHORT_DATE_FORMAT")


def _charts(overview: Overview, rows: list[dict]) -> list[Chart]:
    """One bar chart per figure; bars scale to the range's largest value of that figure (a
    negative day draws no bar). Right-to-left languages read time from the right."""
    count = len(rows)
    slot = CHART_WIDTH / count
    gap = slot * 0.15 if count > 1 else 0
    rtl = translation.get_language_bidi()
    charts = []
    for key, title in SHOWN:
        minors = [getattr(row["figures"], key) for row in rows]
        top = max(max(minors), 0)
        bars = []
        for index, (row, minor) in enumerate(zip(rows, minors, strict=True)):
            height = round(CHART_HEIGHT * max(minor, 0) / top, 2) if top else 0
            position = count - 1 - index if rtl else index
            bars.append(
                Bar(
                    x=round(position * slot + gap / 2, 2),
                    y=round(CHART_HEIGHT - height, 2),
                    width=round(slot - gap, 2),
                    height=height,
                    label=row["label"],
                    amount=row["amounts"][key],
                )
            )
        charts.append(Chart(key, str(title), bars, from_minor(top, overview.currency)))
    return charts


def _rows(overview: Overview) -> list[dict]:
    rows = []
    for row in overview.rows:
        amounts = {
            key: from_minor(getattr(row.figures, key), overview.currency) for key, _title in SHOWN
        }
        rows.append(
            {
                "start": row.start,
                "label": _label(row.start, overview.period),
                "figures": row.figures,
                "empty": row.figures.is_empty,
                "amounts": amounts,
                "cells": list(amounts.values()),
            }
        )
    return rows


def _totals(overview: Overview) -> dict[str, Decimal]:
    figures = overview.totals
    names = (
        "takings",
        "commission",
        "refunds",
        "refunds_to_cards",
        "refunds_to_wallets",
        "refunds_of_charged_jobs",
        "payouts",
        "compensation",
    )
    return {name: from_minor(getattr(figures, name), overview.currency) for name in names}


@require_safe
@money_staff_required
def overview(request):
    form = OverviewForm(request.GET)
    if form.is_valid():
        period = form.cleaned_data["period"]
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    else:
        period = request.GET.get("period") if request.GET.get("period") in (DAY, MONTH) else DAY
        start, end = default_range(period, timezone.localdate())
    currency = settings.CURRENCY
    report = money_overview(start=start, end=end, currency=currency, period=period)
    rows = _rows(report)
    return render(
        request,
        "ledger/overview.html",
        {
            "form": form,
            "overview": report,
            "rows": [row for row in rows if not row["empty"]],
            "totals": _totals(report),
            "charts": [] if report.is_empty else _charts(report, rows),
            "currency": currency,
            "shown": SHOWN,
        },
    )
