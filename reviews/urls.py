from django.urls import path

from . import views

app_name = "reviews"

urlpatterns = [
    path("orders/<int:order_pk>/rate/", views.rate, name="rate"),
]
