"""API for meetings and reporting cycles."""

from rest_framework import serializers, viewsets
from rest_framework.permissions import AllowAny

from reporting.models import Cycle, Meeting
from reporting.selectors import meetings_queryset


class CycleSerializer(serializers.ModelSerializer):
    class Meta:
        model = Cycle
        fields = ["id", "opens_on", "deadline", "closes_on"]


class MeetingSerializer(serializers.ModelSerializer):
    short_name = serializers.CharField(read_only=True)
    display_title = serializers.CharField(read_only=True)
    cycle = CycleSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Meeting
        fields = [
            "id",
            "kind",
            "number",
            "short_name",
            "display_title",
            "start_date",
            "end_date",
            "venue",
            "cycle",
        ]


class MeetingViewSet(viewsets.ReadOnlyModelViewSet):
    """PoA/ITI meetings and, where reports are due before them, their reporting cycles."""

    serializer_class = MeetingSerializer
    permission_classes = [AllowAny]
    pagination_class = None
    filterset_fields = ["kind"]

    def get_queryset(self):
        return meetings_queryset()
