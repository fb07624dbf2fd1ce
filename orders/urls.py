from django.urls import path

from .views import contracts, jobs, orders, phone, recurring

app_name = "orders"

urlpatterns = [
    path("book/", orders.book, name="book"),
    path("book/times/", orders.book_times, name="book_times"),
    path("phone/", phone.take_order, name="phone_take"),
    path("phone/times/", phone.start_times, name="phone_times"),
    path("phone/<int:pk>/", phone.order_taken, name="phone_done"),
    path("", orders.order_list, name="list"),
    path("<int:pk>/", orders.order_detail, name="detail"),
    path("<int:pk>/cancel/", orders.order_cancel, name="cancel"),
    path("<int:pk>/contract/", contracts.contract_page, name="contract"),
    path("<int:pk>/contract.pdf", contracts.contract_pdf, name="contract_pdf"),
    path("<int:pk>/reschedule/", orders.order_reschedule, name="reschedule"),
    path("<int:pk>/claim/", orders.order_claim, name="claim"),
    path("<int:pk>/repeat/", recurring.repeat_order, name="repeat"),
    path("recurring/", recurring.series_list, name="series_list"),
    path(
        "recurring/<int:pk>/<slug:action>/",
        recurring.series_change,
        name="series_change",
    ),
    path("jobs/<int:pk>/", jobs.job_detail, name="job_detail"),
    path("jobs/<int:pk>/check-in/", jobs.job_check_in, name="job_check_in"),
    path("jobs/<int:pk>/start/", jobs.job_start, name="job_start"),
    path("jobs/<int:pk>/on-the-way/", jobs.job_on_the_way, name="job_on_the_way"),
    path("jobs/<int:pk>/complete/", jobs.job_complete, name="job_complete"),
]
