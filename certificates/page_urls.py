from django.urls import path

from certificates import views

urlpatterns = [
    path("certificates/<str:code>/", views.certificate_page, name="certificate"),
]
