from django.urls import path

from surveys import views

urlpatterns = [
    path("surveys/<str:token>/", views.survey, name="survey"),
    path("reports/<str:token>/", views.organization_report, name="organization-report"),
]
