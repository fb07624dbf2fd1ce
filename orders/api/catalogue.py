"""API fields for the catalogue and the price breakdown (R-ORD-2). The price is never read
from a request: options and the home's condition are, and orders.pricing prices them."""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from .. import catalogue_cache
from ..forms.catalogue import MAX_HOURS
from ..models import Difficulty


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


class CatalogueCodeField(serializers.CharField):
    """A bookable service or a served area given by its code, found in the catalogue as it is
    now (orders.catalogue_cache, no query). `kind` is "services" or "areas"."""

    default_error_messages = {"does_not_exist": _("Unknown code.")}

    def __init__(self, *, kind: str, **kwargs):
        self.kind = kind
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        code = super().to_internal_value(data)
        found = getattr(catalogue_cache.current(), self.kind).get(code)
        if found is None:
            self.fail("does_not_exist")
        return found


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

    def validate(self, data):
        data = super().validate(data)
        codes = list(dict.fromkeys(data.get("options") or []))
        service = data.get("service")
        if codes and service is not None:
            found = catalogue_cache.current().options.get(service.pk, {})
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
