from django.urls import path

from . import views, views_contracts, views_jobs, views_phone, views_recurring

app_name = "orders"

urlpatterns = [
    path("book/", views.book, name="book"),
    path("book/times/", views.book_times, name="book_times"),
    path("phone/", views_phone.take_order, name="phone_take"),
    path("phone/times/", views_phone.start_times, name="phone_times"),
    path("phone/<int:pk>/", views_phone.order_taken, name="phone_done"),
    path("", views.order_list, name="list"),
    path("<int:pk>/", views.order_detail, name="detail"),
    path("<int:pk>/cancel/", views.order_cancel, name="cancel"),
    path("<int:pk>/contract/", views_contracts.contract_page, name="contract"),
    path("<int:pk>/contract.pdf", views_contracts.contract_pdf, name="contract_pdf"),
    path("<int:pk>/reschedule/", views.order_reschedule, name="reschedule"),
    path("<int:pk>/claim/", views.order_claim, name="claim"),
    path("<int:pk>/repeat/", views_recurring.repeat_order, name="repeat"),
    path("recurring/", views_recurring.series_list, name="series_list"),
    path(
        "recurring/<int:pk>/<slug:action>/",
        views_recurring.series_change,
        name="series_change",
    ),
    path("jobs/<int:pk>/", views_jobs.job_detail, name="job_detail"),
    path("jobs/<int:pk>/check-in/", views_jobs.job_check_in, name="job_check_in"),
    path("jobs/<int:pk>/start/", views_jobs.job_start, name="job_start"),
    path("jobs/<int:pk>/on-the-way/", views_jobs.job_on_the_way, name="job_on_the_way"),
    path("jobs/<int:pk>/complete/", views_jobs.job_complete, name="job_complete"),
]
