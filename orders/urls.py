from django.urls import path

from . import views

app_name = "orders"

urlpatterns = [
    path("book/", views.book, name="book"),
    path("", views.order_list, name="list"),
    path("<int:pk>/", views.order_detail, name="detail"),
    path("<int:pk>/cancel/", views.order_cancel, name="cancel"),
    path("jobs/<int:pk>/start/", views.job_start, name="job_start"),
    path("jobs/<int:pk>/complete/", views.job_complete, name="job_complete"),
]
