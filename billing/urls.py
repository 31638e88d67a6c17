from django.urls import path

from billing import apis

urlpatterns = [
    path("billing/stripe/webhook/", apis.StripeWebhookApi.as_view(), name="stripe-webhook"),
    path("invoices/<str:token>/", apis.InvoiceDetailApi.as_view(), name="invoice-detail"),
    path("invoices/<str:token>/pay/", apis.InvoicePayApi.as_view(), name="invoice-pay-api"),
]
