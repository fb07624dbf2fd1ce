from django.urls import path

from . import recurring, views

app_name = "api"

urlpatterns = [
    path("v1/quote", views.QuoteView.as_view(), name="quote"),
    path("v1/slots", views.SlotsView.as_view(), name="slots"),
    path("v1/orders", views.OrderListCreateView.as_view(), name="orders"),
    path("v1/orders/<int:pk>", views.OrderDetailView.as_view(), name="order"),
    path("v1/orders/<int:pk>/cancel", views.OrderCancelView.as_view(), name="order_cancel"),
    path("v1/orders/<int:pk>/new-times", views.OrderNewTimesView.as_view(), name="order_new_times"),
    path(
        "v1/orders/<int:pk>/reschedule",
        views.OrderRescheduleView.as_view(),
        name="order_reschedule",
    ),
    path(
        "v1/orders/<int:pk>/repeat-agreement",
        recurring.RepeatAgreementView.as_view(),
        name="order_repeat_agreement",
    ),
    path("v1/series", recurring.SeriesListCreateView.as_view(), name="series"),
    path("v1/series/<int:pk>/pause", recurring.SeriesPauseView.as_view(), name="series_pause"),
    path("v1/series/<int:pk>/resume", recurring.SeriesResumeView.as_view(), name="series_resume"),
    path("v1/series/<int:pk>/end", recurring.SeriesEndView.as_view(), name="series_end"),
]
