from . import books  # noqa: F401
