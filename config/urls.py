from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config import health, pages
from config.admin_site import MOVED_FROM_ENROLLMENTS, moved_admin_page

MOVED = "|".join(MOVED_FROM_ENROLLMENTS)

urlpatterns = [
    path("api/v1/", include("workshops.urls")),
    path("api/v1/", include("enrollments.urls")),
    path("api/v1/", include("inquiries.urls")),
    path("api/v1/", include("surveys.urls")),
    path("api/v1/", include("billing.urls")),
    path("api/v1/", include("organizations.urls")),
    path("api/v1/", include("certificates.urls")),
    path("api/v1/", include("integrations.urls")),
    path("", include("workshops.page_urls")),
    path("", include("enrollments.page_urls")),
    path("", include("inquiries.page_urls")),
    path("", include("surveys.page_urls")),
    path("", include("billing.page_urls")),
    path("", include("organizations.page_urls")),
    path("", include("certificates.page_urls")),
    path("", include("integrations.page_urls")),
    path("privacy/", pages.privacy, name="privacy"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    re_path(rf"^admin/enrollments/(?P<model>{MOVED})/(?P<rest>.*)$", moved_admin_page),
    path("admin/", admin.site.urls),
]

handler404 = "config.errors.not_found"
handler500 = "config.errors.server_error"
