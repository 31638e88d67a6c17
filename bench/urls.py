"""Regard's own URLs, and the baseline endpoints under /bench/."""

from django.urls import include, path

from config.urls import handler404, handler500
from config.urls import urlpatterns as regard

urlpatterns = [*regard, path("bench/", include("bench.baseline.urls"))]

__all__ = ["handler404", "handler500", "urlpatterns"]
