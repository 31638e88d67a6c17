from django.urls import path

from enrollments import apis

urlpatterns = [
    path("inquiries/", apis.InquiryCreateApi.as_view(), name="inquiry-create"),
]
