from django.urls import path

from reporting.views import (
    analysis,
    archive,
    exports,
    meetings,
    reports,
    review,
    spreadsheets,
    statistics,
)

app_name = "reporting"
urlpatterns = [
    path("meetings/", meetings.meeting_list, name="meeting-list"),
    path("meetings/new/", meetings.meeting_create, name="meeting-create"),
    path("meetings/<int:pk>/analysis/", analysis.meeting_analysis, name="meeting-analysis"),
    path("meetings/<int:pk>/analysis/build/", analysis.analysis_build, name="analysis-build"),
    path("analysis/<int:pk>.pdf", analysis.edition_download, name="edition-download"),
    path("analysis/<int:pk>/publish/", analysis.edition_publish, name="edition-publish"),
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
urlpatterns += [
    path("archive/", archive.archive, name="archive"),
    path("archive/states/<str:iso3>/", archive.state_history, name="state-history"),
    path("review/", review.review_queue, name="review-queue"),
    path("cycles/<int:pk>/extensions/", review.cycle_extensions, name="cycle-extensions"),
    path("reports/<int:pk>/start-review/", review.report_start_review, name="report-start-review"),
    path("reports/<int:pk>/return/", review.report_return, name="report-return"),
    path("reports/<int:pk>/publish/", review.report_publish, name="report-publish"),
    path("reports/<int:pk>/amend/", review.report_amend, name="report-amend"),
    path("reports/<int:pk>/comments/", review.report_comments, name="report-comments"),
    path("reports/<int:pk>/comments/add/", review.comment_add, name="comment-add"),
    path("reports/<int:pk>/revisions/", review.report_revisions, name="report-revisions"),
    path("reports/<int:pk>/revisions/diff/", review.revision_diff, name="revision-diff"),
]
urlpatterns += spreadsheets.urlpatterns + exports.urlpatterns
urlpatterns += [
    path("statistics/", statistics.statistics, name="statistics"),
    path("statistics/<int:cycle_pk>/", statistics.statistics_cycle, name="statistics-cycle"),
    path(
        "statistics/<int:cycle_pk>/<slug:table>.csv",
        statistics.statistics_csv,
        name="statistics-csv",
    ),
]
