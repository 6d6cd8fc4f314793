from django.urls import path

from tracing.views import contacts as views
from tracing.views import requests as views_requests

app_name = "tracing"
urlpatterns = [
    path("contacts/", views.directory, name="directory"),
    path("marking/", views.marking_catalogue, name="marking-catalogue"),
    path("tracing/", views_requests.request_list, name="request-list"),
    path("tracing/new/", views_requests.request_new, name="request-new"),
    path("tracing/<int:pk>/", views_requests.request_detail, name="request-detail"),
    path(
        "tracing/<int:pk>/files/<int:attachment_pk>/",
        views_requests.request_attachment,
        name="request-attachment",
    ),
    path("tracing/<int:pk>/<slug:action>/", views_requests.request_action, name="request-action"),
    path("marking/<str:iso3>/edit/", views.marking_edit, name="marking-edit"),
    path("contacts/directory.csv", views.directory_csv, name="directory-csv"),
    path("contacts/directory.vcf", views.directory_vcard, name="directory-vcard"),
    path("contacts/directory.pdf", views.directory_pdf, name="directory-pdf"),
    path("contacts/<str:iso3>/", views.state_contacts, name="state-contacts"),
    path("contacts/<str:iso3>/confirm/", views.contacts_confirm, name="contacts-confirm"),
    path("contacts/<str:iso3>/<slug:kind>/", views.contact_edit, name="contact-edit"),
    path("contacts/<str:iso3>/updates/<int:pk>/", views.proposal_decide, name="proposal-decide"),
]
