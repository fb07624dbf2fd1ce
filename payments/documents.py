"""Documents payments hand out: the receipt as a PDF (R-PAY-5), in the language it was issued
in, with the Vazirmatn font for Persian (WeasyPrint, like the contracts)."""

from pathlib import Path

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import translation

from ledger.money import from_minor

from .models import Receipt

FONT = "vendor/vazirmatn/Vazirmatn-Variable.woff2"


def font_url() -> str:
    font = finders.find(FONT)
    return Path(font).as_uri() if font else ""


def render_receipt_pdf(receipt: Receipt) -> bytes:
    from weasyprint import HTML  # heavy: import only when a PDF is asked for

    payment = receipt.payment or receipt.refund.payment  # type: ignore[union-attr]
    with translation.override(receipt.language):
        html = render_to_string(
            "payments/receipt_pdf.html",
            {
                "receipt": receipt,
                "payment": payment,
                "refund": receipt.refund,
                "order": payment.order,
                "amount": from_minor(receipt.amount, receipt.currency),
                "wallet_amount": from_minor(payment.wallet_amount, payment.currency),
                "gateway_amount": from_minor(payment.gateway_amount, payment.currency),
                "fees_amount": from_minor(payment.fees_amount, payment.currency),
                "font_url": font_url(),
                "rtl": receipt.language == "fa",
            },
        )
    return HTML(string=html).write_pdf()
