from django.urls import path

from . import views

app_name = "support"

urlpatterns = [
    path("", views.ticket_list, name="list"),
    path("<int:pk>/", views.ticket_detail, name="detail"),
    path("orders/<int:order_pk>/new/", views.new_ticket_for_order, name="new_for_order"),
]
