from django.urls import path

from surveys import apis

urlpatterns = [
    path("surveys/<str:token>/", apis.SurveyApi.as_view(), name="survey-detail"),
]
