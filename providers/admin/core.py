"""The vetting console: the application list, its filters, one action per allowed transition,
and the provider's record with every stage's inline and the history (R-VET-2..7, R-SEC-2)."""

from functools import partial

import phonenumbers
from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Prefetch
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin import (
    PhoneSearchMixin,
    ReadOnlyTabularInline,
    ReasonForm,
    StatusEventAdmin,
    StatusEventInline,
    action_with_form,
)
from core.crypto import keyed_hash

from ..models import (
    Interview,
    InterviewStatus,
    Provider,
    ProviderEvent,
    ProviderSkill,
    ServiceArea,
    Skill,
    SuspensionAppeal,
    TimeOff,
    WorkingHours,
)
from ..models import ProviderStatus as S
from ..models.core import VETTED_STATUSES
from ..services import application as application_services
from ..services import documents as document_services
from ..services import interviews as interview_services
from ..services import lifecycle, rewards
from ..services import training as training_services
from .actions import ConfirmForm, RejectForm, RemoveForm, ScheduleInterviewForm
from .documents import VettingDocumentInline
from .interviews import InterviewInline
from .rewards import RewardForm
from .training import EnrollmentInline


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ("name", "code")
    search_fields = ("name", "code")


@admin.register(ServiceArea)
class ServiceAreaAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "code")


# Inlines ---------------------------------------------------------------------------------------


class ProviderSkillInline(admin.TabularInline):
    """Part of the application: whoever may change the provider may change their skills."""

    model = ProviderSkill
    extra = 0

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("providers.view_provider")

    def has_add_permission(self, request, obj=None):
        return request.user.has_perm("providers.change_provider")

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("providers.change_provider")

    def has_delete_permission(self, request, obj=None):
        return request.user.has_perm("providers.change_provider")


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    extra = 0


class TimeOffInline(admin.TabularInline):
    """Leave and holidays: no job is offered on these days (R-ORD-5)."""

    model = TimeOff
    extra = 0


@admin.register(TimeOff)
class TimeOffAdmin(admin.ModelAdmin):
    list_display = ("provider", "starts_on", "ends_on", "reason")
    list_filter = ("starts_on",)
    search_fields = ("provider__user__full_name", "provider__user__phone", "reason")
    date_hierarchy = "starts_on"
    ordering = ("-starts_on", "provider")
    list_select_related = ("provider__user",)
    raw_id_fields = ("provider",)


class ProviderRecordInline(ReadOnlyTabularInline):
    """Shown to whoever may see the provider; never added to, changed or deleted here."""

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("providers.view_provider")


class ProviderEventInline(ProviderRecordInline, StatusEventInline):
    """The history: every status change, who made it and why."""

    model = ProviderEvent
    fields = ("at", "from_status", "to_status", "actor", "reason_code", "reason_shown")
    ordering = ("-at", "-id")


class SuspensionAppealInline(ProviderRecordInline):
    model = SuspensionAppeal
    fk_name = "provider"
    fields = ("submitted_at", "text", "decision", "answer", "answered_by", "answered_at")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("answered_by")


# Filters ---------------------------------------------------------------------------------------


class InterviewerFilter(admin.SimpleListFilter):
    """Applicants with an interview (of any status) held by one staff member."""

    title = _("interviewer")
    parameter_name = "interviewer"

    def lookups(self, request, model_admin):
        users = (
            get_user_model()
            .objects.filter(is_staff=True, interviews_to_conduct__isnull=False)
            .distinct()
            .order_by("full_name")
        )
        return [(str(user.pk), user.full_name or str(user.phone)) for user in users]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if not value.isdigit():
            return queryset.none()
        return queryset.filter(
            pk__in=Interview.objects.filter(interviewer_id=value).values("provider_id")
        )


# The provider's record -------------------------------------------------------------------------


class ProviderAdminForm(forms.ModelForm):
    class Meta:
        model = Provider
        fields = ["national_id"]  # the admin passes the full list from its fieldsets

    def clean_national_id(self):
        value = "".join((self.cleaned_data.get("national_id") or "").split())
        if value:
            others = Provider.objects.filter(national_id_hash=keyed_hash(value))
            if self.instance.pk:
                others = others.exclude(pk=self.instance.pk)
            if others.exists():
                raise ValidationError(_("Another application has this national ID number."))
        return value

    def clean_photo(self):
        """A new photo gets the application's checks and loses its metadata (R-SEC-6)."""
        photo = self.cleaned_data.get("photo")
        if not isinstance(photo, UploadedFile):
            return photo  # unchanged, or cleared
        try:
            return application_services.prepare_photo(photo)
        except ValidationError as error:
            raise ValidationError(error.messages) from error


def _as_e164(term: str) -> str | None:
    try:
        number = phonenumbers.parse(term, settings.PHONENUMBER_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _cancel_scheduled_interview(*, provider, actor, reason, no_show):
    interview = (
        provider.interviews.filter(status=InterviewStatus.SCHEDULED).order_by("starts_at").first()
    )
    if interview is None:
        raise lifecycle.ProviderTransitionError(gettext("There is no scheduled interview."))
    interview_services.cancel_interview(
        interview=interview, actor=actor, reason=reason, no_show=no_show
    )


@admin.register(Provider)
class ProviderAdmin(PhoneSearchMixin, admin.ModelAdmin):
    form = ProviderAdminForm
    list_display = ("name", "phone", "status", "area_names", "created_at", "next_interview")
    list_display_links = ("name",)
    list_filter = ("status", "tier", "areas", "skills", "created_at", InterviewerFilter)
    search_fields = ("user__phone", "user__full_name")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    filter_horizontal = ("areas",)
    inlines = [
        ProviderSkillInline,
        WorkingHoursInline,
        TimeOffInline,
        InterviewInline,
        VettingDocumentInline,
        EnrollmentInline,
        ProviderEventInline,
        SuspensionAppealInline,
    ]
    # One action per allowed transition: (name, description, service taking provider=,
    # form asking for its input).
    actions = [
        action_with_form(
            name=name, description=description, service=service, form_class=form, subject="provider"
        )
        for name, description, service, form in [
            (
                "screen",
                _("Screening: approve the application"),
                lambda provider, actor, reason: lifecycle.screen_application(
                    provider=provider, actor=actor, note=reason
                ),
                ReasonForm,
            ),
            (
                "reject",
                _("Reject the application (reason from the list)"),
                lifecycle.reject_application,
                RejectForm,
            ),
            (
                "schedule_interview",
                _("Schedule an interview"),
                interview_services.schedule_interview,
                ScheduleInterviewForm,
            ),
            (
                "cancel_interview",
                _("Cancel the scheduled interview (back to screened)"),
                partial(_cancel_scheduled_interview, no_show=False),
                ReasonForm,
            ),
            (
                "interview_no_show",
                _("The applicant did not come to the interview (reject)"),
                partial(_cancel_scheduled_interview, no_show=True),
                ReasonForm,
            ),
            (
                "verify_identity",
                _("Identity verified (every original checked)"),
                document_services.verify_identity,
                ConfirmForm,
            ),
            (
                "start_training",
                _("Start training (enrol in the required courses)"),
                training_services.enroll_in_training,
                ConfirmForm,
            ),
            (
                "resume_training",
                _("Resume training after the acceptance review"),
                training_services.resume_training,
                ReasonForm,
            ),
            (
                "activate",
                _("Activate (every vetting stage passed)"),
                lambda provider, actor, reason: lifecycle.activate_provider(
                    provider=provider, actor=actor, note=reason
                ),
                ReasonForm,
            ),
            ("suspend", _("Suspend for retraining"), lifecycle.suspend_provider, ReasonForm),
            (
                "place_on_probation",
                _("Place on probation"),
                lifecycle.place_on_probation,
                ReasonForm,
            ),
            (
                "open_removal_review",
                _("Open a removal review"),
                lifecycle.open_removal_review,
                ReasonForm,
            ),
            (
                "reinstate",
                _("Reinstate (also: keep after a removal review)"),
                lifecycle.reinstate_provider,
                ReasonForm,
            ),
            (
                "remove",
                _("Remove (also: decide a removal review)"),
                lifecycle.remove_provider,
                RemoveForm,
            ),
            (
                "reward",
                _("Reward: priority in matching (R-MAT-4)"),
                rewards.reward_provider,
                RewardForm,
            ),
            ("end_reward", _("End the running reward"), rewards.end_reward, ReasonForm),
        ]
    ]

    always_readonly = (
        "status",
        "activation_checklist",
        "created_at",
        "status_changed_at",
        "vetting_completed_at",
        "probation_ratings_left",
        "certificate_warning_sent_at",
    )

    def get_queryset(self, request):
        upcoming = (
            Interview.objects.filter(status=InterviewStatus.SCHEDULED)
            .select_related("interviewer")
            .order_by("starts_at", "pk")
        )
        return (
            super()
            .get_queryset(request)
            .prefetch_related(
                "areas", Prefetch("interviews", queryset=upcoming, to_attr="scheduled_interviews")
            )
        )

    def get_search_results(self, request, queryset, search_term):
        # A phone typed the local way (0912 555 0101) is looked up in its stored E.164 form.
        return super().get_search_results(request, queryset, _as_e164(search_term) or search_term)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request, obj=None):
        # The record and its audit trail stay; removal is a status (R-SEC-2).
        return False

    # National ID: entered with the application, then read-only and masked (R-SEC-1) for
    # everyone but superusers.
    def _national_id_field(self, request, obj):
        if obj is None or request.user.is_superuser:
            return "national_id"
        return "national_id_masked"

    def get_fieldsets(self, request, obj=None):
        return [
            (None, {"fields": ["user", "status", "tier", "activation_checklist"]}),
            (
                _("Application"),
                {
                    "fields": [
                        self._national_id_field(request, obj),
                        "birth_date",
                        "address",
                        "areas",
                        "latitude",
                        "longitude",
                        "experience_years",
                        "work_history",
                        "bio",
                        "photo",
                    ]
                },
            ),
            (
                _("Dates"),
                {
                    "fields": [
                        "created_at",
                        "status_changed_at",
                        "vetting_completed_at",
                        "probation_ratings_left",
                        "certificate_warning_sent_at",
                    ]
                },
            ),
        ]

    def get_readonly_fields(self, request, obj=None):
        fields = list(self.always_readonly)
        if obj is not None:
            fields.append("user")
            if not request.user.is_superuser:
                fields.append("national_id_masked")
        return fields

    def save_model(self, request, obj, form, change):
        if "national_id" in form.changed_data:
            obj.national_id_hash = keyed_hash(obj.national_id) if obj.national_id else None
        super().save_model(request, obj, form, change)

    # Columns and read-only fields --------------------------------------------------------------

    @admin.display(description=_("name"), ordering="user__full_name")
    def name(self, obj):
        return str(obj)

    @admin.display(description=_("phone"), ordering="user__phone")
    def phone(self, obj):
        return obj.user.phone

    @admin.display(description=_("service areas"))
    def area_names(self, obj):
        return ", ".join(area.name for area in obj.areas.all())

    @admin.display(description=_("next interview"))
    def next_interview(self, obj):
        interviews = getattr(obj, "scheduled_interviews", None)
        if interviews is None:
            interviews = list(
                obj.interviews.filter(status=InterviewStatus.SCHEDULED)
                .select_related("interviewer")
                .order_by("starts_at", "pk")
            )
        if not interviews:
            return "-"
        interview = interviews[0]
        return format_html(
            "{} · {}",
            formats.date_format(timezone.localtime(interview.starts_at), "SHORT_DATETIME_FORMAT"),
            interview.interviewer.full_name or interview.interviewer.phone,
        )

    @admin.display(description=_("national ID number"))
    def national_id_masked(self, obj):
        value = obj.national_id or ""
        if not value:
            return "-"
        return "•" * max(len(value) - 3, 0) + value[-3:]

    @admin.display(description=_("activation checklist"))
    def activation_checklist(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        if obj.status in VETTED_STATUSES:
            return gettext("Vetting completed.")
        if obj.status in (S.REJECTED, S.WITHDRAWN, S.REMOVED):
            return gettext("The application is closed.")
        blockers = lifecycle.activation_blockers(obj)
        if not blockers:
            return gettext("Ready to activate.")
        return format_html(
            '<ul class="activation-blockers">{}</ul>',
            format_html_join("", "<li>{}</li>", ((blocker,) for blocker in blockers)),
        )


@admin.register(ProviderEvent)
class ProviderEventAdmin(StatusEventAdmin):
    list_display = (*StatusEventAdmin.list_display, "reason_code")
    list_filter = ("to_status", "reason_code", "at")
    search_fields = ("provider__user__phone", "provider__user__full_name", "reason")
    list_select_related = ("provider__user", "actor")
