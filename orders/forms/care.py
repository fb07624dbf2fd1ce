"""Intake of the person cared for (R-ORD-1), for the web booking form and phone orders.

`CareRecipientForm` holds the fields (prefix "care"); `CareIntakeMixin` adds it to a booking
form, which then checks it only when the chosen service asks about the person cared for and
hands `care_details()` to `check_booking`. The rules are `orders.services.care.validate_care`.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from ..models import Condition, Mobility, ServiceType
from ..models.care import MAX_AGE
from ..services.care import LANGUAGE_MAX, NAME_MAX, TEXT_MAX, CareDetails, validate_care

CARE_PREFIX = "care"


class CareRecipientForm(forms.Form):
    # Not required in HTML: the fieldset is filled in only for services that ask; clean() and
    # orders.services.care.validate_care say what is missing.
    full_name = forms.CharField(label=_("Their name"), max_length=NAME_MAX, required=False)
    age = forms.IntegerField(
        label=_("Age"),
        min_value=1,
        max_value=MAX_AGE,
        required=False,
        error_messages={"invalid": _("Enter the age as a whole number of years.")},
    )
    mobility = forms.ChoiceField(
        label=_("How well can they move?"),
        choices=Mobility.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    conditions = forms.MultipleChoiceField(
        label=_("Health conditions"),
        choices=Condition.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": _("Choose conditions from the list, or describe them below.")
        },
    )
    other_conditions = forms.CharField(
        label=_("Other conditions or medication"),
        max_length=TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    language = forms.CharField(
        label=_("Language they speak"),
        max_length=LANGUAGE_MAX,
        required=False,
        help_text=_("For example Persian, Azerbaijani, Russian."),
    )
    special_needs = forms.CharField(
        label=_("Special needs"),
        max_length=TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Diet, medicines at set times, habits, what calms them."),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", CARE_PREFIX)
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        try:
            self.details = validate_care(self._raw_details())
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                if field not in self.errors:  # one message per field: the first found
                    self.add_error(field if field in self.fields else None, messages)
        return cleaned

    def _raw_details(self) -> CareDetails:
        data = self.cleaned_data
        return CareDetails(
            full_name=data.get("full_name", ""),
            age=data.get("age"),
            mobility=data.get("mobility", ""),
            conditions=tuple(data.get("conditions", ())),
            other_conditions=data.get("other_conditions", ""),
            language=data.get("language", ""),
            special_needs=data.get("special_needs", ""),
        )

    def summary(self) -> dict:
        """The validated details with display labels, for the confirmation page."""
        details = self.details
        return {
            "details": details,
            "mobility": Mobility(details.mobility).label,
            "conditions": [Condition(code).label for code in details.conditions],
        }


def care_service_ids() -> list[int]:
    """Services whose intake asks about the person cared for (the fieldset shows for them)."""
    return list(
        ServiceType.objects.filter(asks_about_person_cared_for=True).values_list("pk", flat=True)
    )


class CareIntakeMixin:
    """For a booking form with a `service_type` field: call `_init_care()` at the end of
    __init__ and `_clean_care(cleaned)` in clean(); pass `care_details()` to check_booking."""

    care: CareRecipientForm

    def _init_care(self) -> None:
        self.care = CareRecipientForm(self.data if self.is_bound else None)

    @cached_property
    def care_service_ids(self) -> list[int]:
        return care_service_ids()

    def _asks_about_care(self) -> bool:
        service = getattr(self, "cleaned_data", {}).get("service_type")
        return service is not None and service.asks_about_person_cared_for

    def _clean_care(self, cleaned: dict) -> None:
        if self._asks_about_care() and not self.care.is_valid():
            self.add_error(
                None,
                _("Tell us about the person cared for: see the marked fields below."),
            )

    @property
    def asks_about_care(self) -> bool:
        return self.is_bound and self._asks_about_care()

    def care_details(self) -> CareDetails | None:
        return self.care.details if self._asks_about_care() else None
