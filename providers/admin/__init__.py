"""The vetting console: one admin module per topic."""

from . import appeals, core, documents, interviews, rewards, training  # noqa: F401
from .documents import VettingDocumentInline  # noqa: F401
from .interviews import InterviewInline  # noqa: F401
from .training import EnrollmentInline  # noqa: F401
