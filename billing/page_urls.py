from django.urls import path

from billing import views

urlpatterns = [
    path("invoices/<str:token>.pdf", views.invoice_pdf_download, name="invoice-pdf"),
    path("invoices/<str:token>/", views.invoice_page, name="invoice"),
    path("invoices/<str:token>/pay/", views.invoice_pay_page, name="invoice-pay"),
    path("payments/invoice-card/<str:paying>/", views.invoice_card_page, name="invoice-card-page"),
]
