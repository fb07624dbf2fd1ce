from datetime import time

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.forms import add_refusal
from providers.models import ServiceArea

from .. import availability, scheduling
from ..models import SavedAddress, ServiceOption
from ..pricing import quote_for
from ..selectors import bookable_service_types
from ..services.booking import MAX_HOME_AREA_SQM, BookingRequest, CheckedBooking, check_booking
from .care import CareIntakeMixin
from .catalogue import CatalogueIntakeMixin

# The start times offered before anything is known; orders:book_times narrows them (R-ORD-5).
START_TIMES = scheduling.START_TIMES

# Changing one of these reloads the start times that someone is free for (htmx).
TIME_INPUTS = ("service_type", "area", "day", "home_area_sqm", "hours", "options")


# Picking a saved address fills the address and area fields (and reloads the start times).
FILL_SAVED_ADDRESS_JS = (
    "var o=this.selectedOptions[0];if(o&&o.dataset.address){"
    "this.form.address.value=o.dataset.address;this.form.area.value=o.dataset.area;"
    "this.form.area.dispatchEvent(new Event('change',{bubbles:true}));}"
)


class SavedAddressSelect(forms.Select):
    """A <select> whose options carry the address and area they stand for."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        saved = getattr(value, "instance", None)
        if saved is not None:
            option["attrs"].update({"data-address": saved.address, "data-area": saved.area_id})
        return option


class BookingForm(CatalogueIntakeMixin, CareIntakeMixin, forms.Form):
    saved_address = forms.ModelChoiceField(
        label=_("Saved address"),
        queryset=SavedAddress.objects.none(),
        required=False,
        empty_label=_("A new address"),
        widget=SavedAddressSelect(attrs={"onchange": FILL_SAVED_ADDRESS_JS}),
        help_text=_("Pick an address used before, or type a new one below."),
    )
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

    # The checked booking, once the form is valid: what book_order saves.
    checked: CheckedBooking | None = None

    def __init__(self, *args, customer=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Catalogue names are stored in English and translated like any message.
        for name in ("service_type", "area"):
            self.fields[name].label_from_instance = lambda obj: gettext(obj.name)
        self._init_catalogue()  # options, condition, hours (R-ORD-2)
        saved = (
            customer.saved_addresses.select_related("area")
            if customer is not None and customer.pk
            else SavedAddress.objects.none()
        )
        if saved.exists():  # newest first (Meta.ordering)
            self.fields["saved_address"].queryset = saved
            self._fill_from_saved_address(saved)
        else:
            del self.fields["saved_address"]
        include = ",".join(f"[name={name}]" for name in (*TIME_INPUTS, "start"))
        for name in TIME_INPUTS:
            self.fields[name].widget.attrs.update(
                {
                    "hx-get": reverse("orders:book_times"),
                    "hx-trigger": "change",
                    "hx-target": "#start-times",
                    "hx-include": include,
                }
            )
        self._init_care()  # the person cared for, for services that ask (R-ORD-1)

    def _fill_from_saved_address(self, saved):
        """Without JavaScript: a saved address picked and no address typed means that one."""
        if not self.is_bound or self.data.get("address", "").strip():
            return
        try:
            chosen = saved.get(pk=int(self.data.get("saved_address", "")))
        except (ValueError, SavedAddress.DoesNotExist):
            return
        self.data = self.data.copy()
        self.data["address"] = chosen.address
        self.data["area"] = str(chosen.area_id)

    def clean(self):
        cleaned = super().clean()
        self._clean_care(cleaned)
        if self.errors:
            return cleaned
        try:
            self.checked = check_booking(self.booking_request(), care=self.care_details())
        except ValidationError as error:
            add_refusal(self, error)
        return cleaned

    @property
    def quote(self):
        return self.checked.quote if self.checked is not None else None

    def booking_request(self) -> BookingRequest:
        data = self.cleaned_data
        return BookingRequest(
            service_type=data["service_type"],
            area=data["area"],
            address=data["address"],
            day=data["day"],
            start=data["start"],
            home_area_sqm=data.get("home_area_sqm"),
            notes=data.get("notes", ""),
            **self.catalogue_request(),
        )


class StartTimesForm(forms.Form):
    """What the start times depend on: read from the booking form as it is being filled in."""

    service_type = forms.ModelChoiceField(queryset=bookable_service_types())
    area = forms.ModelChoiceField(queryset=ServiceArea.objects.filter(is_active=True))
    day = forms.DateField()
    home_area_sqm = forms.IntegerField(min_value=1, max_value=MAX_HOME_AREA_SQM, required=False)
    hours = forms.IntegerField(min_value=1, max_value=24, required=False)
    options = forms.ModelMultipleChoiceField(queryset=ServiceOption.objects.all(), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service_type"].queryset = bookable_service_types()

    def available_times(self) -> list[time] | None:
        """None while the job cannot be priced yet (the full list is offered then)."""
        data = self.cleaned_data
        try:
            duration = quote_for(
                service_type=data["service_type"],
                home_area_sqm=data.get("home_area_sqm"),
                hours=data.get("hours"),
                options=list(data.get("options") or ()),
            ).duration
        except ValidationError:
            return None
        return availability.start_times(
            service_type=data["service_type"], area=data["area"], day=data["day"], duration=duration
        )


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Why are you cancelling?"), max_length=500)


class RescheduleForm(forms.Form):
    """A new time for an order (R-ORD-5): the times somebody is free that day, the assigned
    provider's first; a time they cannot come needs `release_provider` ticked."""

    day = forms.DateField(label=_("New date"), widget=forms.DateInput(attrs={"type": "date"}))
    start = forms.TypedChoiceField(
        label=_("New start time"),
        coerce=lambda value: time.fromisoformat(value),
        error_messages={
            "invalid_choice": _("Nobody is free then that day; choose one of the times listed.")
        },
    )
    reason = forms.CharField(label=_("Why does the time change?"), max_length=500)
    release_provider = forms.BooleanField(
        label=_("Yes: release my provider, void the contract and let me choose a new provider"),
        required=False,
        help_text=_("Only for a time in the list of another provider's times."),
    )

    def __init__(self, *args, order, **kwargs):
        super().__init__(*args, **kwargs)
        self.order = order
        day = self._day()
        self.initial.setdefault("day", day)
        self.fields["start"].choices = self._start_choices(order, day)
        self.fields["day"].widget.attrs.update(
            {
                "hx-get": reverse("orders:reschedule", args=[order.pk]),
                "hx-trigger": "change",
                "hx-target": "#new-start-times",
                "hx-select": "#new-start-times",
                "hx-swap": "outerHTML",
            }
        )
        if order.provider_id is None:
            del self.fields["release_provider"]

    def _day(self):
        value = self.data.get("day") if self.is_bound else None
        if value is None and self.initial.get("day"):
            return self.initial["day"]
        try:
            return self.fields["day"].to_python(value) if value else None
        except ValidationError:
            return None

    @staticmethod
    def _start_choices(order, day) -> list:
        if day is None:
            day = timezone.localdate(order.starts_at)
        times = scheduling.new_times(order=order, day=day)
        keeps = [(t.start.strftime("%H:%M"),) * 2 for t in times if t.keeps_provider]
        others = [(t.start.strftime("%H:%M"),) * 2 for t in times if not t.keeps_provider]
        if order.provider_id is None:
            return others
        name = {"name": order.provider.first_name}
        groups = [
            (gettext("With %(name)s") % name, keeps),
            (gettext("With another provider (%(name)s is released)") % name, others),
        ]
        return [(label, times) for label, times in groups if times]


class ClaimForm(forms.Form):
    description = forms.CharField(
        label=_("What was wrong?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Our team will decide within a few days: redo the work or compensate you."),
    )
