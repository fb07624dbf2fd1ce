from django.urls import path

from . import views

app_name = "matching"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("offers/<int:pk>/accept/", views.offer_accept, name="offer_accept"),
    path("offers/<int:pk>/decline/", views.offer_decline, name="offer_decline"),
]
