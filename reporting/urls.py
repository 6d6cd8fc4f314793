from django.urls import path

from reporting.views import exports, meetings, reports, spreadsheets

app_name = "reporting"
urlpatterns = [
    path("meetings/", meetings.meeting_list, name="meeting-list"),
    path("meetings/new/", meetings.meeting_create, name="meeting-create"),
    path("reports/", reports.report_list, name="report-list"),
    path("reports/new/", reports.report_create, name="report-create"),
    path("reports/<int:pk>/", reports.report_detail, name="report-detail"),
    path(
        "reports/<int:pk>/sections/<slug:section_key>/", reports.section_edit, name="section-edit"
    ),
    path(
        "reports/<int:pk>/sections/<slug:section_key>/unchanged/",
        reports.section_unchanged,
        name="section-unchanged",
    ),
    path("reports/<int:pk>/answers/", reports.answer_save, name="answer-save"),
    path(
        "reports/<int:pk>/questions/<str:key>/", reports.question_fragment, name="question-fragment"
    ),
    path("reports/<int:pk>/attachments/", reports.attachment_upload, name="attachment-upload"),
    path(
        "reports/<int:pk>/attachments/<str:token>/",
        reports.attachment_download,
        name="attachment-download",
    ),
    path("reports/<int:pk>/presence/", reports.presence_ping, name="presence"),
    path("reports/<int:pk>/submit/", reports.report_submit, name="report-submit"),
    path("reports/<int:pk>/print/", reports.report_print, name="report-print"),
    path("reports/<int:pk>/draft.pdf", reports.report_pdf, name="report-pdf"),
]
urlpatterns += spreadsheets.urlpatterns + exports.urlpatterns
