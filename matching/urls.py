from django.urls import path

from . import views, views_batch

app_name = "matching"

# Mounted at the site's root: the provider's pages under provider/, the customer's choice and
# the operator's audit under matching/.
urlpatterns = [
    path("provider/", views.dashboard, name="dashboard"),
    path("provider/offers/<int:pk>/accept/", views.offer_accept, name="offer_accept"),
    path("provider/offers/<int:pk>/decline/", views.offer_decline, name="offer_decline"),
    path("matching/orders/<int:pk>/choose/", views.choose, name="choose"),
    path(
        "matching/orders/<int:pk>/choose/provider/",
        views.choose_provider,
        name="choose_provider",
    ),
    path(
        "matching/orders/<int:pk>/choose/others/",
        views.other_providers,
        name="other_providers",
    ),
    path("matching/orders/<int:pk>/candidates/", views.candidates, name="candidates"),
    # The operators' batch assignment (matching/views_batch.py).
    path("matching/batch/", views_batch.batch_page, name="batch"),
    path("matching/batch/assign/", views_batch.batch_assign, name="batch_assign"),
    path("matching/batch/<int:pk>/", views_batch.batch_result, name="batch_result"),
]
