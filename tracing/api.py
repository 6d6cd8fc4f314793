"""API: the directory of national points of contact (fields as the caller may see them)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers, viewsets
from rest_framework.permissions import AllowAny

from tracing.models import ContactPoint, MarkingPractice
from tracing.selectors import marking_catalogue, visible_contact


class ContactPointSerializer(serializers.ModelSerializer):
    state = serializers.SlugRelatedField(slug_field="iso3", read_only=True)
    contact = serializers.SerializerMethodField()
    possibly_outdated = serializers.BooleanField(read_only=True)

    class Meta:
        model = ContactPoint
        fields = [
            "id",
            "state",
            "kind",
            "same_as_poa",
            "contact",
            "last_confirmed_at",
            "possibly_outdated",
        ]

    @extend_schema_field(serializers.DictField())
    def get_contact(self, contact: ContactPoint) -> dict:
        """Only the fields the caller may see: e-mail and phone for officials and UNODA,
        unless the State made them public."""
        return visible_contact(self.context["request"].user, contact)


class ContactPointViewSet(viewsets.ReadOnlyModelViewSet):
    """National points of contact of every State."""

    serializer_class = ContactPointSerializer
    permission_classes = [AllowAny]
    filterset_fields = ["kind", "state__iso3"]

    def get_queryset(self):
        return ContactPoint.objects.select_related("state").order_by("state__name", "kind")


class MarkingPracticeSerializer(serializers.ModelSerializer):
    state = serializers.SlugRelatedField(slug_field="iso3", read_only=True)

    class Meta:
        model = MarkingPractice
        fields = [
            "state",
            "manufacture_required",
            "manufacture_elements",
            "country_code",
            "manufacture_methods",
            "import_required",
            "import_mark_format",
            "import_mark_year",
            "state_held_marked",
            "alteration_measures",
            "updated_at",
        ]


class MarkingPracticeViewSet(viewsets.ReadOnlyModelViewSet):
    """How States mark small arms. `?search=` finds a country code or import mark."""

    serializer_class = MarkingPracticeSerializer
    permission_classes = [AllowAny]

    def get_queryset(self):
        return marking_catalogue(
            self.request.user, text=self.request.query_params.get("search", "")
        )
