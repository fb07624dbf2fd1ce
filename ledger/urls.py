from django.urls import path

from .views.wallet import wallet

app_name = "ledger"

urlpatterns = [
    path("wallet/", wallet, name="wallet"),
]
