"""API fields for the catalogue and the price breakdown (R-ORD-2). The price is never read
from a request: options and the home's condition are, and orders.pricing prices them."""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ..forms_catalogue import MAX_HOURS
from ..models import Difficulty, ServiceOption
from ..selectors import bookable_service_types


class PriceLineOut(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=["base", "minimum", "difficulty", "tier", "option"],
        help_text=_("What the line prices."),
    )
    label = serializers.CharField(help_text=_("The line in the request's language."))
    code = serializers.CharField(help_text=_("Option code, condition or tier; may be empty."))
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)


def price_lines_out(lines) -> list[dict]:
    return PriceLineOut(
        [
            {"kind": line.kind, "label": line.label, "code": line.code, "amount": line.amount}
            for line in lines
        ],
        many=True,
    ).data


class ChosenOptionOut(serializers.Serializer):
    code = serializers.CharField(source="option.code")
    name = serializers.SerializerMethodField()
    price = serializers.DecimalField(max_digits=14, decimal_places=2)
    extra_minutes = serializers.IntegerField()

    def get_name(self, chosen) -> str:
        return gettext(chosen.name)


class CatalogueFieldsIn(serializers.Serializer):
    """Mixed into the quote, slots and create inputs, after `service` and `home_area_sqm`."""

    hours = serializers.IntegerField(
        min_value=1,
        max_value=MAX_HOURS,
        required=False,
        allow_null=True,
        default=None,
        help_text=_("For services priced per hour (e.g. a day of elderly care): the hours."),
    )
    options = serializers.ListField(
        child=serializers.SlugField(),
        required=False,
        default=list,
        help_text=_('Codes of the service\'s extra options, e.g. ["fridge", "oven"].'),
    )
    difficulty = serializers.ChoiceField(
        choices=Difficulty.choices,
        default=Difficulty.NORMAL,
        help_text=_("The home's condition: light, normal or heavy."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "service" in self.fields:  # the current price book as of this request
            self.fields["service"].queryset = bookable_service_types()

    def validate(self, data):
        data = super().validate(data)
        codes = list(dict.fromkeys(data.get("options") or []))
        service = data.get("service")
        if codes and service is not None:
            found = {
                option.code: option
                for option in ServiceOption.objects.filter(service_type=service, code__in=codes)
            }
            unknown = [code for code in codes if code not in found]
            if unknown:
                raise serializers.ValidationError(
                    {
                        "options": _("This service has no option %(codes)s.")
                        % {"codes": ", ".join(unknown)}
                    }
                )
            data["options"] = tuple(found[code] for code in codes)
        else:
            data["options"] = ()
        return data
