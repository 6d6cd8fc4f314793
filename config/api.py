"""The /api/v1/ router."""

from rest_framework.routers import DefaultRouter

from assistance.api import (
    MatchViewSet,
    NeedViewSet,
    OfferViewSet,
    SponsorshipApplicationViewSet,
)
from core.api import MemberStateViewSet
from reporting.api import (
    CycleExportViewSet,
    MeetingViewSet,
    QuestionnaireViewSet,
    ReportViewSet,
    SummaryViewSet,
)
from tracing.api import ContactPointViewSet, MarkingPracticeViewSet, TracingRequestViewSet

router = DefaultRouter()
router.register("states", MemberStateViewSet, basename="state")
router.register("meetings", MeetingViewSet, basename="meeting")
router.register("questionnaires", QuestionnaireViewSet, basename="questionnaire")
router.register("reports", ReportViewSet, basename="report")
router.register("cycles", CycleExportViewSet, basename="cycle")
router.register("summaries", SummaryViewSet, basename="summary")
router.register("contact-points", ContactPointViewSet, basename="contact-point")
router.register("marking-practices", MarkingPracticeViewSet, basename="marking-practice")
router.register("tracing-requests", TracingRequestViewSet, basename="tracing-request")
router.register("needs", NeedViewSet, basename="need")
router.register("offers", OfferViewSet, basename="offer")
router.register("matches", MatchViewSet, basename="match")
router.register(
    "sponsorship-applications", SponsorshipApplicationViewSet, basename="sponsorship-application"
)
