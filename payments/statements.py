"""A provider's statement as a PDF (R-PAY-4), for the provider's page and the admin alike:
WeasyPrint, with the Vazirmatn font for Persian, in the provider's language."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from .documents import font_url
from .selectors import Statement


def statement_language(provider) -> str:
    """The provider's language if we serve it, else the site's."""
    language = provider.user.preferred_language or settings.LANGUAGE_CODE
    served = {code for code, _name in settings.LANGUAGES}
    return language if language in served else settings.LANGUAGE_CODE


def render_statement_pdf(statement: Statement) -> bytes:
    from weasyprint import HTML  # heavy: import only when a PDF is asked for

    language = statement_language(statement.provider)
    with translation.override(language):
        html = render_to_string(
            "payments/statement_pdf.html",
            {
                "statement": statement,
                "provider": statement.provider,
                "font_url": font_url(),
                "language": language,
                "rtl": translation.get_language_bidi(),
            },
        )
    return HTML(string=html).write_pdf()


def statement_filename(statement: Statement) -> str:
    return f"statement-{statement.provider.pk}-{statement.period.key}.pdf"
