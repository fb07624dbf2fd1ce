from django.urls import path

from . import views

app_name = "reviews"

urlpatterns = [
    path("orders/<int:order_pk>/rate/", views.rate, name="rate"),
    path("staff/calls/", views.staff_call_list, name="staff_calls"),
    path("staff/calls/<int:pk>/", views.staff_call_detail, name="staff_call"),
]
