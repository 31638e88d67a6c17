from django.urls import path

from workshops import apis

urlpatterns = [
    path("offerings/", apis.OfferingListApi.as_view(), name="offering-list"),
    path("offerings/<slug:slug>/", apis.OfferingDetailApi.as_view(), name="offering-detail"),
    path("sessions/", apis.SessionListApi.as_view(), name="session-list"),
    path("sessions/<int:pk>/", apis.SessionDetailApi.as_view(), name="session-detail"),
]
