"""Orders in the admin, one module per topic."""

from . import catalogue, contracts, execution, guarantee, orders, recurring  # noqa: F401
