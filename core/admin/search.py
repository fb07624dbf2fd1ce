"""Admin search that finds people by phone number as operators type it."""

from phonenumber_field.phonenumber import to_python


class PhoneSearchMixin:
    """A search for a phone number in any usual form (0912 000 0001, +98 912...) looks for the
    number as stored (E.164), so an operator on a call finds the caller however they read it."""

    def get_search_results(self, request, queryset, search_term):
        number = to_python(search_term.strip()) if search_term else None
        if number is not None and number.is_valid():
            search_term = number.as_e164
        return super().get_search_results(  # type: ignore[misc]
            request, queryset, search_term
        )
