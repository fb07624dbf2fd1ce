"""Catalogue fields of the booking form (R-ORD-2): service grouped by category, extra options
with their prices, the home's condition, hours for services priced per hour.

`CatalogueIntakeMixin._init_catalogue()` adds them to a booking form (web and phone);
`catalogue_request()` gives the BookingRequest arguments. The price itself is never taken from
the form: orders.pricing computes it.
"""

from django import forms
from django.forms.models import ModelChoiceIterator, ModelChoiceIteratorValue
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..models import Difficulty, PricingUnit, ServiceOption
from ..money import format_money
from ..pricing import current_price_book
from ..selectors import bookable_service_types

MAX_HOURS = 24


class GroupedServiceIterator(ModelChoiceIterator):
    """Services in <optgroup>s by category, names translated like any message."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        groups: dict = {}
        for service in self.queryset:
            groups.setdefault(service.category, []).append(self.choice(service))
        for category, choices in groups.items():
            yield (gettext(category.name) if category else gettext("Other services"), choices)


class ServiceSelect(forms.Select):
    """Each service <option> says how it is priced, so the page can show hours or area, and for
    a service priced per hour the hours it may be booked for (the server checks them too)."""

    units: dict = {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        instance = getattr(value, "instance", None)
        if instance is not None:
            unit = self.units.get(instance.pk, PricingUnit.PER_SQM)
            option["attrs"]["data-unit"] = unit
            if unit == PricingUnit.PER_HOUR:
                option["attrs"]["data-min-hours"] = -(-instance.minimum_minutes // 60)
                option["attrs"]["data-max-hours"] = instance.maximum_minutes // 60
        return option


class OptionCheckboxes(forms.CheckboxSelectMultiple):
    """Each option's checkbox names its service, so the page shows only the chosen service's."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        instance = getattr(value, "instance", None)
        if instance is not None:
            option["attrs"]["data-service"] = instance.service_type_id
        return option


class CatalogueIntakeMixin:
    """For a forms.Form with `service_type` and `home_area_sqm` fields."""

    def _init_catalogue(self):
        fields = self.fields
        service = fields["service_type"]
        service.queryset = bookable_service_types()  # the current price book, now
        service.iterator = GroupedServiceIterator
        book = current_price_book()
        rules = {rule.service_type_id: rule for rule in book.rules.all()} if book else {}
        service.widget = ServiceSelect(attrs=service.widget.attrs)
        service.widget.units = {pk: rule.unit for pk, rule in rules.items()}
        service.widget.choices = service.choices

        options = forms.ModelMultipleChoiceField(
            label=_("Extras"),
            # Any option: the booking rules refuse another service's or a retired one with a
            # clear message; only the bookable ones are shown.
            queryset=ServiceOption.objects.all(),
            required=False,
            widget=OptionCheckboxes,
            error_messages={"invalid_choice": _("Choose extras from the list.")},
        )
        shown = ServiceOption.objects.filter(
            is_active=True, service_type__in=service.queryset.values("pk")
        ).select_related("service_type")

        def option_label(option):
            price = rules.get(option.service_type_id)
            price = price.option_price(option.code) if price else None
            name = gettext(option.name)
            return f"{name} (+{format_money(price)})" if price is not None else name

        options.label_from_instance = option_label
        options.widget.choices = [
            (ModelChoiceIteratorValue(option.pk, option), option_label(option))
            for option in shown
            if rules.get(option.service_type_id) is not None
        ]
        difficulty = forms.ChoiceField(
            label=_("Condition of the home"),
            choices=Difficulty.choices,
            initial=Difficulty.NORMAL,
            required=False,  # not said: normal
            widget=forms.RadioSelect,
        )
        hours = forms.IntegerField(
            label=_("Hours"),
            min_value=1,
            max_value=MAX_HOURS,
            required=False,
            help_text=_("For care and other services booked by the hour."),
            error_messages={"invalid": _("Enter the hours as a whole number.")},
        )
        fields["home_area_sqm"].required = False
        fields["home_area_sqm"].help_text = _("For cleaning, priced by the home's area.")
        # Keep the page's order: service, extras, condition, ... home area, hours, ...
        ordered = {}
        for name, field in fields.items():
            ordered[name] = field
            if name == "service_type":
                ordered["options"] = options
                ordered["difficulty"] = difficulty
            elif name == "home_area_sqm":
                ordered["hours"] = hours
        self.fields = ordered

    def catalogue_request(self) -> dict:
        """The catalogue arguments of services.BookingRequest."""
        data = self.cleaned_data
        return {
            "hours": data.get("hours"),
            "options": tuple(data.get("options") or ()),
            "difficulty": data.get("difficulty") or Difficulty.NORMAL,
        }
