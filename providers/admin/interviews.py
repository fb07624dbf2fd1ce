"""Interviews and scorecards in the vetting console (R-VET-3).

Both add forms go through the services: the form's validation calls `schedule_interview` or
`record_scorecard`, a refusal becomes a form error and nothing is saved. Once written, an
interview or a scorecard is shown read-only; an interview changes only by the actions below.
"""

from functools import partial

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin.actions import action_with_reason

from ..models import Criterion, Interview, InterviewStatus, Provider, ProviderStatus, Scorecard
from ..services.interviews import cancel_interview, record_scorecard, schedule_interview

SCORE_CHOICES = [(score, str(score)) for score in range(1, 6)]


class ServiceBackedForm(forms.ModelForm):
    """A ModelForm whose validation ends by calling a service; `actor` is set per request."""

    actor = None

    def call_service(self, data):  # pragma: no cover - overridden
        raise NotImplementedError

    def _post_clean(self):
        # The service validates and saves; the model's own full_clean would judge a half-built
        # instance (no computed fields yet), so it is not run here.
        if self.errors:
            return
        try:
            self.instance = self.call_service(self.cleaned_data)
        except ValidationError as error:
            self.add_error(None, error)


class InterviewScheduleForm(ServiceBackedForm):
    class Meta:
        model = Interview
        fields = ["provider", "interviewer", "starts_at", "location"]

    def call_service(self, data):
        return schedule_interview(
            provider=data["provider"],
            interviewer=data["interviewer"],
            starts_at=data["starts_at"],
            location=data["location"],
            actor=self.actor,
        )


class ScorecardForm(ServiceBackedForm):
    class Meta:
        model = Scorecard
        fields = [
            "interview",
            *(name for criterion in Criterion.values for name in (criterion, f"{criterion}_notes")),
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for criterion in Criterion:
            self.fields[criterion.value] = forms.TypedChoiceField(
                label=criterion.label,
                choices=SCORE_CHOICES,
                coerce=int,
                widget=forms.RadioSelect,
            )
            notes = self.fields.get(f"{criterion.value}_notes")
            if notes is not None:
                notes.widget = forms.Textarea(attrs={"rows": 2, "cols": 60})

    def call_service(self, data):
        return record_scorecard(
            interview=data["interview"],
            scores={criterion.value: data[criterion.value] for criterion in Criterion},
            notes={
                criterion.value: data.get(f"{criterion.value}_notes", "") for criterion in Criterion
            },
            actor=self.actor,
        )


class _WithActor:
    """Give the form the request's user and make saved rows view-only."""

    add_form = None

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        form = super().get_form(request, obj, change=change, **kwargs)
        form.actor = request.user
        return form

    def save_model(self, request, obj, form, change):
        """The service already saved the row during validation; nothing is edited later."""

    def has_change_permission(self, request, obj=None):
        if obj is not None:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False


cancel_action = action_with_reason(
    name="cancel_interviews",
    description=_("Cancel the selected interviews (the applicant can be invited again)"),
    service=cancel_interview,
    subject="interview",
)
cancel_action.allowed_permissions = ("change",)
no_show_action = action_with_reason(
    name="mark_no_show",
    description=_("The applicant did not come (reject the application)"),
    service=partial(cancel_interview, no_show=True),
    subject="interview",
)
no_show_action.allowed_permissions = ("change",)


def interview_label(interview) -> str:
    """The applicant and the local start time (Interview.__str__ formats the UTC time)."""
    return f"{interview.provider} · {timezone.localtime(interview.starts_at):%Y-%m-%d %H:%M}"


def scorecard_result(interview) -> str:
    try:
        scorecard = interview.scorecard
    except Scorecard.DoesNotExist:
        return "-"
    verdict = _("passed") if scorecard.passed else _("failed")
    return f"{scorecard.weighted_score} ({verdict})"


@admin.register(Interview)
class InterviewAdmin(_WithActor, admin.ModelAdmin):
    add_form = InterviewScheduleForm
    list_display = ("starts_at", "provider", "interviewer", "location", "status", "result")
    list_filter = ("status", "interviewer", "starts_at")
    date_hierarchy = "starts_at"
    search_fields = ("provider__user__phone", "provider__user__full_name", "location")
    list_select_related = ("provider__user", "interviewer", "scorecard")
    ordering = ("-starts_at",)
    actions = [cancel_action, no_show_action]
    view_fields = (
        "provider",
        "interviewer",
        "starts_at",
        "ends_at",
        "location",
        "status",
        "scheduled_by",
        "created_at",
        "scorecard_link",
    )

    def get_fields(self, request, obj=None):
        if obj is None:
            return list(InterviewScheduleForm.Meta.fields)
        return list(self.view_fields)

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.view_fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "provider":
            kwargs["queryset"] = Provider.objects.filter(
                status=ProviderStatus.SCREENED
            ).select_related("user")
        elif db_field.name == "interviewer":
            kwargs["queryset"] = get_user_model().objects.filter(is_staff=True, is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("scorecard"))
    def result(self, obj):
        return scorecard_result(obj)

    @admin.display(description=_("scorecard"))
    def scorecard_link(self, obj):
        try:
            scorecard = obj.scorecard
        except Scorecard.DoesNotExist:
            scorecard = None
        if scorecard is not None:
            url = reverse("admin:providers_scorecard_change", args=[scorecard.pk])
            return format_html('<a href="{}">{}</a>', url, scorecard_result(obj))
        if obj.status == InterviewStatus.SCHEDULED:
            url = reverse("admin:providers_scorecard_add") + f"?interview={obj.pk}"
            return format_html('<a href="{}">{}</a>', url, _("Record the scorecard"))
        return "-"


@admin.register(Scorecard)
class ScorecardAdmin(_WithActor, admin.ModelAdmin):
    add_form = ScorecardForm
    list_display = (
        "applicant",
        "interview_starts",
        "interviewer",
        "weighted_score",
        "pass_mark",
        "passed",
        "recorded_by",
        "recorded_at",
    )
    list_filter = ("passed", "recorded_at")
    search_fields = ("interview__provider__user__phone", "interview__provider__user__full_name")
    list_select_related = ("interview__provider__user", "interview__interviewer", "recorded_by")
    computed_fields = ("weighted_score", "pass_mark", "weights", "passed")

    def get_fields(self, request, obj=None):
        if obj is None:
            return list(ScorecardForm.Meta.fields)
        return [
            *ScorecardForm.Meta.fields,
            *self.computed_fields,
            "recorded_by",
            "recorded_at",
        ]

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.get_fields(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "interview":
            # Only scheduled interviews, and only one's own unless a superuser (the service
            # refuses the others anyway).
            interviews = Interview.objects.filter(status=InterviewStatus.SCHEDULED)
            if not request.user.is_superuser:
                interviews = interviews.filter(interviewer=request.user)
            kwargs["queryset"] = interviews.select_related("provider__user")
            field = super().formfield_for_foreignkey(db_field, request, **kwargs)
            field.label_from_instance = interview_label
            return field
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("applicant"), ordering="interview__provider__user__full_name")
    def applicant(self, obj):
        return obj.interview.provider

    @admin.display(description=_("interview"), ordering="interview__starts_at")
    def interview_starts(self, obj):
        return obj.interview.starts_at

    @admin.display(description=_("interviewer"), ordering="interview__interviewer")
    def interviewer(self, obj):
        return obj.interview.interviewer


class InterviewInline(admin.TabularInline):
    """Read-only rows for the provider's page, each linking to the interview."""

    model = Interview
    fk_name = "provider"
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ("starts_at", "interviewer", "location", "status", "result")
    readonly_fields = fields
    ordering = ("-starts_at",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("interviewer", "scorecard")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("scorecard"))
    def result(self, obj):
        return scorecard_result(obj)
