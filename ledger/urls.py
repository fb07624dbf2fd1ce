from django.urls import path

from .views.overview import overview
from .views.wallet import wallet

app_name = "ledger"

urlpatterns = [
    path("wallet/", wallet, name="wallet"),
    path("overview/", overview, name="overview"),
]
