"""Small database helpers every app may use."""

from django.db import connection
from django.db.models.expressions import RawSQL


def id_array(ids) -> RawSQL | list:
    """A list of ids as one array parameter on PostgreSQL (thousands of placeholders cost more
    to build and plan than the query: `pk__in=id_array(ids)`), else as a list."""
    ids = list(ids)
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::bigint[])", (ids,))
    return ids
