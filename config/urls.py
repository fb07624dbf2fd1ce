from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from orders.views import home

admin.site.site_header = _("Home services operations")
admin.site.site_title = _("Home services")
admin.site.index_title = _("Operations")

urlpatterns = [
    path("", home, name="home"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("orders/", include("orders.urls")),
    path("provider/", include("matching.urls")),
    path("providers/", include("providers.urls")),
    path("reviews/", include("reviews.urls")),
    path("support/", include("support.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
