"""The payments admin, one module per topic."""

from . import earnings, payments  # noqa: F401
