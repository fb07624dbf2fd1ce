"""Training in the vetting console (R-VET-5, R-VET-7): courses, sessions, enrolments, the
commitment texts. Grades and weak-learner flags go through the services, never a field edit."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin.actions import action_with_form

from ..models import CommitmentSignature, CommitmentText, Course, Enrollment, TrainingSession
from ..services.training import flag_weak_learner, grade_enrollment, reenroll


def session_label(session: TrainingSession) -> str:
    """The course and the local start time (TrainingSession.__str__ formats the UTC time)."""
    return f"{session.course} · {timezone.localtime(session.starts_at):%Y-%m-%d %H:%M}"


class GradeForm(forms.Form):
    """One score field per selected enrolment; a blank one is left ungraded."""

    def __init__(self, data=None, *, objects):
        super().__init__(data)
        for enrollment in objects:
            self.fields[f"score_{enrollment.pk}"] = forms.IntegerField(
                label=_("Score of 100 for %(row)s (pass mark %(mark)d)")
                % {"row": enrollment, "mark": enrollment.course.pass_mark},
                min_value=0,
                max_value=100,
                required=False,
            )


class NoteForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Instructor's note"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, data=None, *, objects):
        super().__init__(data)


class NoInputForm(forms.Form):
    confirm = forms.BooleanField(
        label=gettext_lazy("Yes, enrol these providers in the course again"), required=True
    )

    def __init__(self, data=None, *, objects):
        super().__init__(data)


def _grade(enrollment, *, actor, **cleaned_data):
    score = cleaned_data.get(f"score_{enrollment.pk}")
    if score is None:
        return False
    grade_enrollment(enrollment=enrollment, score=score, actor=actor)
    return True


def _flag(enrollment, *, actor, note):
    flag_weak_learner(enrollment=enrollment, actor=actor, note=note)


def _reenroll(enrollment, *, actor, confirm):
    reenroll(provider=enrollment.provider, course=enrollment.course, actor=actor)


# Actions on the selected enrollments; each form gets the rows (one score field per row).
grade_action, flag_action, reenroll_action = (
    action_with_form(
        name=name, description=description, form_class=form, form_gets_rows=True, service=service
    )
    for name, description, form, service in [
        ("grade", gettext_lazy("Grade"), GradeForm, _grade),
        (
            "flag_weak_learner",
            gettext_lazy("Flag as a weak learner (sends the application for review)"),
            NoteForm,
            _flag,
        ),
        ("reenroll", gettext_lazy("Enrol again in the failed course"), NoInputForm, _reenroll),
    ]
)


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "pass_mark", "required_for_activation", "is_retraining")
    list_filter = ("required_for_activation", "is_retraining")
    search_fields = ("name", "code")
    prepopulated_fields = {"code": ("name",)}


@admin.register(TrainingSession)
class TrainingSessionAdmin(admin.ModelAdmin):
    list_display = ("course", "starts_at", "location", "instructor", "enrolled")
    list_filter = ("course", "instructor", "starts_at")
    date_hierarchy = "starts_at"
    list_select_related = ("course", "instructor")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(enrolled_total=Count("enrollments"))

    @admin.display(description=gettext_lazy("enrolled"), ordering="enrolled_total")
    def enrolled(self, obj):
        return obj.enrolled_total


class EnrollmentForm(forms.ModelForm):
    class Meta:
        model = Enrollment
        fields = ["session"]

    def clean_session(self):
        session = self.cleaned_data["session"]
        if session is not None and session.course_id != self.instance.course_id:
            raise ValidationError(_("Choose a session of this enrolment's course."))
        return session


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    form = EnrollmentForm
    list_display = (
        "provider",
        "course",
        "purpose",
        "session_starts",
        "score",
        "passed",
        "flagged_weak",
        "graded_at",
    )
    list_filter = ("course", "passed", "flagged_weak", "purpose")
    search_fields = ("provider__user__phone", "provider__user__full_name", "course__name")
    list_select_related = ("provider__user", "course", "session__course")
    actions = [grade_action, flag_action, reenroll_action]
    fields = (
        "provider",
        "course",
        "purpose",
        "session",
        "score",
        "passed",
        "graded_by",
        "graded_at",
        "flagged_weak",
        "flag_note",
        "created_at",
    )
    readonly_fields = tuple(name for name in fields if name != "session")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "session":
            field.queryset = TrainingSession.objects.select_related("course")
            field.label_from_instance = session_label
        return field

    @admin.display(description=gettext_lazy("session"), ordering="session__starts_at")
    def session_starts(self, obj):
        return session_label(obj.session) if obj.session_id else "-"

    def has_add_permission(self, request):
        # Enrolments come from enroll_in_training, reenroll and the retraining assignment.
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EnrollmentInline(admin.TabularInline):
    """Read-only training scores for the provider's page, each linking to the enrolment."""

    model = Enrollment
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ("course", "purpose", "score", "passed", "graded_at", "flagged_weak", "flag_note")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("course")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def commitment_text_is_signed(text: CommitmentText) -> bool:
    """Whether anyone signed this version (in any language): then its wording is frozen."""
    return CommitmentSignature.objects.filter(text__version=text.version).exists()


@admin.register(CommitmentText)
class CommitmentTextAdmin(admin.ModelAdmin):
    list_display = ("version", "language", "title", "published_at", "signature_count")
    list_filter = ("version", "language")
    search_fields = ("title", "body")
    fields = ("version", "language", "title", "body", "published_at")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(signature_total=Count("signatures"))

    @admin.display(description=gettext_lazy("signatures"), ordering="signature_total")
    def signature_count(self, obj):
        return obj.signature_total

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and commitment_text_is_signed(obj):
            return self.fields
        return ("published_at",)

    def has_change_permission(self, request, obj=None):
        if obj is not None and commitment_text_is_signed(obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and commitment_text_is_signed(obj):
            return False
        return super().has_delete_permission(request, obj)
