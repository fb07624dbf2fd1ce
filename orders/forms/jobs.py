"""The provider's forms on the job page (R-ORD-6): arrival check-in and the completion report."""

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..models import CHECK_IN_ITEMS, Order
from ..services.execution import DIFFERENCES_MAX, SUMMARY_MAX, booked_options, check_in_items

ITEM_PREFIX = "item_"
OPTION_PREFIX = "option_"


class CheckInForm(forms.Form):
    """One box per detail to go through with the customer, all to be ticked, and a note."""

    differences = forms.CharField(
        label=_("Anything different from the booking?"),
        required=False,
        max_length=DIFFERENCES_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example: the home is much larger, or the person cared for needs more."),
    )

    def __init__(self, *args, order: Order, **kwargs):
        super().__init__(*args, **kwargs)
        items = {}
        for code in check_in_items(order):
            items[ITEM_PREFIX + code] = forms.BooleanField(
                label=gettext(CHECK_IN_ITEMS[code]),
                required=True,
                error_messages={"required": _("Check this with the customer, then tick it.")},
            )
        # The checklist first, then the note.
        self.fields = {**items, "differences": self.fields["differences"]}

    def confirmed_items(self) -> list[str]:
        return [
            name.removeprefix(ITEM_PREFIX)
            for name, value in self.cleaned_data.items()
            if name.startswith(ITEM_PREFIX) and value
        ]


class CompletionForm(forms.Form):
    """What was done, and for each option booked whether it was done."""

    summary = forms.CharField(
        label=_("What did you do?"),
        max_length=SUMMARY_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "A few lines for the customer: the rooms cleaned, the care given, anything "
            "left for next time."
        ),
        error_messages={"required": _("Write a short report of what was done before completing.")},
    )

    def __init__(self, *args, order: Order, **kwargs):
        super().__init__(*args, **kwargs)
        for booked in booked_options(order):
            self.fields[OPTION_PREFIX + booked.option.code] = forms.BooleanField(
                label=_("Done: %(option)s") % {"option": gettext(booked.name)},
                required=False,
            )

    def options_done(self) -> dict[str, bool]:
        return {
            name.removeprefix(OPTION_PREFIX): bool(value)
            for name, value in self.cleaned_data.items()
            if name.startswith(OPTION_PREFIX)
        }
