from django.urls import path

from .views import audit, batch, choose, dashboard

app_name = "matching"

# Mounted at the site's root: the provider's pages under provider/, the customer's choice and
# the operator's audit under matching/.
urlpatterns = [
    path("provider/", dashboard.dashboard, name="dashboard"),
    path("provider/offers/<int:pk>/accept/", dashboard.offer_accept, name="offer_accept"),
    path("provider/offers/<int:pk>/decline/", dashboard.offer_decline, name="offer_decline"),
    path("matching/orders/<int:pk>/choose/", choose.choose, name="choose"),
    path(
        "matching/orders/<int:pk>/choose/provider/",
        choose.choose_provider,
        name="choose_provider",
    ),
    path(
        "matching/orders/<int:pk>/choose/others/",
        choose.other_providers,
        name="other_providers",
    ),
    path("matching/orders/<int:pk>/candidates/", audit.candidates, name="candidates"),
    # The operators' batch assignment.
    path("matching/batch/", batch.batch_page, name="batch"),
    path("matching/batch/assign/", batch.batch_assign, name="batch_assign"),
    path("matching/batch/<int:pk>/", batch.batch_result, name="batch_result"),
]
