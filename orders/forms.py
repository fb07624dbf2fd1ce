from datetime import time

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from providers.models import ServiceArea

from .selectors import bookable_service_types
from .services import MAX_HOME_AREA_SQM, BookingRequest, validate_booking

START_TIMES = [time(hour, minute) for hour in range(7, 21) for minute in (0, 30)]


class BookingForm(forms.Form):
    service_type = forms.ModelChoiceField(
        label=_("Service"),
        queryset=bookable_service_types(),
        empty_label=None,
        error_messages={"invalid_choice": _("Choose one of the services on the list.")},
    )
    area = forms.ModelChoiceField(
        label=_("Service area"),
        queryset=ServiceArea.objects.filter(is_active=True),
        empty_label=None,
        error_messages={"invalid_choice": _("We do not serve this area yet.")},
    )
    address = forms.CharField(label=_("Address"), max_length=300)
    day = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    start = forms.TypedChoiceField(
        label=_("Start time"),
        choices=[(t.strftime("%H:%M"), t.strftime("%H:%M")) for t in START_TIMES],
        coerce=lambda value: time.fromisoformat(value),
    )
    home_area_sqm = forms.IntegerField(
        label=_("Home area (m²)"),
        min_value=1,
        max_value=MAX_HOME_AREA_SQM,
        error_messages={"invalid": _("Enter the area as a whole number of square metres.")},
    )
    notes = forms.CharField(
        label=_("Personal requests"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example a cleaning product you prefer, pets, or where the keys are."),
    )

    quote = None

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        booking = self.booking_request()
        try:
            self.quote, _starts, _ends = validate_booking(booking)
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
        return cleaned

    def booking_request(self) -> BookingRequest:
        data = self.cleaned_data
        return BookingRequest(
            service_type=data["service_type"],
            area=data["area"],
            address=data["address"],
            day=data["day"],
            start=data["start"],
            home_area_sqm=data["home_area_sqm"],
            notes=data.get("notes", ""),
        )


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Why are you cancelling?"), max_length=500)
