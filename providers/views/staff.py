"""Managers' pages: the vetting funnel (R-VET-3, R-OPS-1)."""

from datetime import timedelta
from functools import wraps

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import StaffGroup

from ..selectors import vetting_funnel

FUNNEL_GROUPS = (StaffGroup.VETTING, StaffGroup.QUALITY)
DEFAULT_DAYS = 30


def can_view_funnel(user) -> bool:
    """Superusers and active staff of the vetting or quality group."""
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    return user.is_staff and user.groups.filter(name__in=FUNNEL_GROUPS).exists()


def funnel_staff_required(view):
    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not can_view_funnel(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


class FunnelRangeForm(forms.Form):
    start = forms.DateField(
        label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=gettext_lazy("Until"), widget=forms.DateInput(attrs={"type": "date"})
    )

    @classmethod
    def from_query(cls, query):
        """Bound to the query string; the last 30 days (today included) when it has no dates."""
        today = timezone.localdate()
        data = {
            "start": query.get("start") or (today - timedelta(days=DEFAULT_DAYS - 1)).isoformat(),
            "end": query.get("end") or today.isoformat(),
        }
        return cls(data)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", _("The end date must be on or after the start date."))
        return cleaned


@funnel_staff_required
def funnel(request):
    form = FunnelRangeForm.from_query(request.GET)
    result = None
    chart = None
    if form.is_valid():
        result = vetting_funnel(start=form.cleaned_data["start"], end=form.cleaned_data["end"])
        chart = {
            "labels": [stage.label for stage in result.stages],
            "values": [stage.reached for stage in result.stages],
            "dataset": _("Providers who reached the stage"),
            "axis": _("Providers"),
        }
    return render(
        request, "providers/staff/funnel.html", {"form": form, "funnel": result, "chart": chart}
    )


urlpatterns = [
    path("staff/funnel/", funnel, name="staff_funnel"),
]
