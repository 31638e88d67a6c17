from django.urls import path

from certificates import apis

urlpatterns = [
    path("certificates/<str:code>/", apis.CertificateApi.as_view(), name="certificate-detail"),
]
