"""The public application (R-VET-1), built for a phone: one column, grouped in sections."""

from dataclasses import dataclass, field

from django import forms
from django.core.exceptions import ValidationError
from django.utils import formats, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..models import ServiceArea, Skill, Weekday
from ..services import application as rules

WEEKDAY_KEYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


@dataclass
class Section:
    """A titled group of a form's fields, rendered by fragment_form.html like a form."""

    title: str
    fields: list = field(default_factory=list)
    css_class: str = ""
    help_text: str = ""
    errors: list = field(default_factory=list)

    def visible_fields(self):
        return self.fields

    def hidden_fields(self):
        return []

    def non_field_errors(self):
        return ""


def _time_input():
    return forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class ApplicationForm(forms.Form):
    """Everything but the phone, which was confirmed on the step before."""

    full_name = forms.CharField(
        label=_("Full name"),
        max_length=150,
        help_text=_("As on your national card."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    national_id = forms.CharField(label=_("National ID number"), max_length=30)
    birth_date = forms.DateField(
        label=_("Birth date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    address = forms.CharField(
        label=_("Address"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2, "autocomplete": "street-address"}),
    )
    areas = forms.ModelMultipleChoiceField(
        label=_("Areas where you can work"),
        queryset=ServiceArea.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    work_history = forms.CharField(
        label=_("Work history"),
        required=False,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Where you worked before, what you did and for how long."),
    )
    photo = forms.FileField(
        label=_("Photo of yourself"),
        help_text=_("A clear photo of your face, JPEG or PNG."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png"}),
    )
    password1 = forms.CharField(
        label=_("Choose a password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, phone=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.phone = phone
        self.group_errors: dict[str, list] = {}
        self.fields["areas"].queryset = ServiceArea.objects.filter(is_active=True)
        self.skills = list(Skill.objects.all())
        for skill in self.skills:
            self.fields[f"skill_{skill.pk}"] = forms.IntegerField(
                label=gettext(skill.name),
                required=False,
                min_value=0,
                max_value=rules.MAX_YEARS_OF_EXPERIENCE,
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            )
        # The week starts on the locale's first day (Saturday in Persian, Sunday in English).
        first = (int(formats.get_format("FIRST_DAY_OF_WEEK")) - 1) % 7
        self.weekdays = [Weekday((first + offset) % 7) for offset in range(7)]
        for day in self.weekdays:
            key = WEEKDAY_KEYS[day]
            self.fields[f"{key}_from"] = forms.TimeField(
                label=_("%(day)s from") % {"day": day.label},
                required=False,
                widget=_time_input(),
            )
            self.fields[f"{key}_until"] = forms.TimeField(
                label=_("until"), required=False, widget=_time_input()
            )

    # Sections, in the order a phone shows them.
    def sections(self):
        def bound(*names):
            return [self[name] for name in names]

        return [
            Section(
                gettext("About you"),
                bound("full_name", "national_id", "birth_date", "address"),
            ),
            Section(gettext("Where you work"), bound("areas")),
            Section(
                gettext("Skills"),
                bound(*[f"skill_{skill.pk}" for skill in self.skills]),
                css_class="skills",
                errors=self.group_errors.get("skills", []),
                help_text=gettext(
                    "For each skill you have, write your years of experience (0 if you are "
                    "new to it). Leave the others empty."
                ),
            ),
            Section(gettext("Experience"), bound("work_history")),
            Section(
                gettext("When you can work"),
                bound(
                    *[
                        f"{WEEKDAY_KEYS[day]}_{part}"
                        for day in self.weekdays
                        for part in ("from", "until")
                    ]
                ),
                css_class="hours",
                errors=self.group_errors.get("hours", []),
                help_text=gettext("Fill in the days you can work; leave the others empty."),
            ),
            Section(gettext("Photo and password"), bound("photo", "password1", "password2")),
        ]

    # Field checks call the rules the service applies again on submission.
    def clean_national_id(self):
        number = self._apply(rules.validate_national_id, self.cleaned_data["national_id"])
        if number and rules.national_id_is_taken(number):
            raise ValidationError(gettext(rules.DUPLICATE_NATIONAL_ID))
        return number

    def clean_birth_date(self):
        return self._apply(rules.validate_birth_date, self.cleaned_data["birth_date"])

    def clean_areas(self):
        return self._apply(rules.validate_areas, self.cleaned_data["areas"])

    def clean_photo(self):
        return self._apply(rules.prepare_photo, self.cleaned_data["photo"])

    def clean(self):
        cleaned = super().clean()
        skills = [
            (skill, cleaned[f"skill_{skill.pk}"])
            for skill in self.skills
            if cleaned.get(f"skill_{skill.pk}") is not None
        ]
        if not any(self.has_error(f"skill_{skill.pk}") for skill in self.skills):
            cleaned["skills"] = self._group(rules.validate_skills, skills)
        cleaned["weekly_hours"] = self._weekly_hours(cleaned)
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("The two passwords do not match."))
        elif password1:
            try:
                rules.validate_password_for(
                    password1, full_name=cleaned.get("full_name", ""), phone=self.phone
                )
            except ValidationError as error:
                self.add_error("password1", error.message_dict["password1"])
        return cleaned

    def _weekly_hours(self, cleaned):
        hours = []
        for day in self.weekdays:
            key = WEEKDAY_KEYS[day]
            starts, ends = cleaned.get(f"{key}_from"), cleaned.get(f"{key}_until")
            if self.has_error(f"{key}_from") or self.has_error(f"{key}_until"):
                return None
            if (starts is None) != (ends is None):
                self.add_error(
                    f"{key}_from" if starts is None else f"{key}_until",
                    _("Give both times for %(day)s, or neither.") % {"day": day.label},
                )
                return None
            if starts is not None and ends <= starts:
                self.add_error(
                    f"{key}_until",
                    _("On %(day)s the end must be after the start.") % {"day": day.label},
                )
                return None
            if starts is not None:
                hours.append((int(day), starts, ends))
        return self._group(rules.validate_weekly_hours, hours)

    def _apply(self, rule, value):
        try:
            return rule(value)
        except ValidationError as error:
            raise ValidationError(error.messages) from error

    def _group(self, rule, value):
        try:
            return rule(value)
        except ValidationError as error:
            for group, messages in error.message_dict.items():
                self.group_errors.setdefault(group, []).extend(messages)
                self.add_error(None, messages)
            return None

    def application(self) -> dict:
        """Keyword arguments for services.application.submit_application."""
        data = self.cleaned_data
        return {
            "phone": self.phone,
            "full_name": data["full_name"],
            "national_id": data["national_id"],
            "birth_date": data["birth_date"],
            "address": data["address"],
            "areas": list(data["areas"]),
            "skills": data["skills"],
            "work_history": data["work_history"],
            "weekly_hours": data["weekly_hours"],
            "photo": data["photo"],
            "password": data["password1"],
            "language": translation.get_language(),
        }


class WithdrawForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Yes, I want to withdraw my application."),
        error_messages={"required": _("Tick the box to confirm that you want to withdraw.")},
    )
    note = forms.CharField(
        label=_("Why are you withdrawing? (optional)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
