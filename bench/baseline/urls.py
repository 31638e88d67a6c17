from django.urls import path

from bench.baseline.views import ConstantApi, InsertApi

urlpatterns = [
    path("constant/", ConstantApi.as_view(), name="bench-constant"),
    path("insert/", InsertApi.as_view(), name="bench-insert"),
]
