from django.urls import path

from enrollments import apis

urlpatterns = [
    path("enrollments/", apis.EnrollmentCreateApi.as_view(), name="enrollment-create"),
    path("enrollments/<str:token>/", apis.EnrollmentDetailApi.as_view(), name="enrollment-detail"),
    path(
        "enrollments/<str:token>/cancel/",
        apis.EnrollmentCancelApi.as_view(),
        name="enrollment-cancel",
    ),
    path(
        "enrollments/<str:token>/participants/",
        apis.EnrollmentParticipantsApi.as_view(),
        name="enrollment-participants",
    ),
    path("enrollments/<str:token>/pay/", apis.EnrollmentPayApi.as_view(), name="enrollment-pay"),
    path("discount-codes/<str:code>/", apis.DiscountCodeApi.as_view(), name="discount-code"),
]
