from django.urls import path

from inquiries import apis

urlpatterns = [
    path("inquiries/", apis.InquiryCreateApi.as_view(), name="inquiry-create"),
]
