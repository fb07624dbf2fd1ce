from django.urls import path

from .views.checkout import pay, payment_callback, payment_return, receipt_pdf
from .views.earnings import earnings, statement, statement_pdf
from .views.sandbox import sandbox_card

app_name = "payments"

urlpatterns = [
    path("orders/<int:pk>/pay/", pay, name="pay"),
    path("payments/<slug:gateway>/return/", payment_return, name="return"),
    path("payments/<slug:gateway>/callback/", payment_callback, name="callback"),
    path("receipts/<int:pk>.pdf", receipt_pdf, name="receipt_pdf"),
    path("sandbox/pay/<str:charge_id>/", sandbox_card, name="sandbox_card"),
    path("earnings/", earnings, name="earnings"),
    path("earnings/statement/", statement, name="earnings_statement"),
    path("earnings/statement.pdf", statement_pdf, name="earnings_statement_pdf"),
]
