from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.forms import AdminLoginForm
from orders.views.contracts import contract_verify
from orders.views.orders import home

admin.site.site_header = _("Home services operations")
# The admin's login is limited like every login (R-SEC-3) and says so.
admin.site.login_form = AdminLoginForm
admin.site.site_title = _("Home services")
admin.site.index_title = _("Operations")

urlpatterns = [
    path("", home, name="home"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("orders/", include("orders.urls")),
    path("money/", include("ledger.urls")),
    path("money/", include("payments.urls")),
    path(
        "contracts/verify/<uuid:public_id>/", contract_verify, name="contract_verify"
    ),  # public: no login
    path("", include("matching.urls")),  # provider/... and matching/...
    path("providers/", include("providers.urls")),
    path("reviews/", include("reviews.urls")),
    path("support/", include("support.urls")),
    path("api/", include("accounts.api")),
    path("api/", include("orders.api.urls")),
    path("api/", include("matching.api")),
    path("api/", include("payments.api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    # Its script comes from its own URL (?script), not inline; Swagger UI styles its page inline.
    path(
        "api/docs/",
        csp_update({"style-src": [UNSAFE_INLINE]})(
            SpectacularSwaggerSplitView.as_view(url_name="api_schema")
        ),
        name="api_docs",
    ),
]

# Under /api/ a URL that matches nothing (e.g. /api/v1/orders/abc) answers in the API's JSON.
handler404 = "core.api.page_not_found"

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
