"""/api/v1/ endpoints of assistance: needs, offers, matches, sponsorship applications."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from assistance import selectors
from assistance.filters import NeedFilter, OfferFilter
from assistance.models import (
    NEED_FIELDS,
    OFFER_FIELDS,
    AssistanceType,
    Match,
    MatchMessage,
    Need,
    Offer,
    SponsorshipApplication,
    Theme,
    donor_key,
)
from assistance.permissions import OFFICIAL_ROLES, Donor, donors_for
from assistance.selectors import (
    matches_visible_to,
    needs_visible_to,
    offers_visible_to,
    shows_restricted,
)
from assistance.services import (
    close_offer,
    complete_match,
    decline_match,
    express_interest,
    mark_match_funded,
    post_match_message,
    record_agreement,
    record_need,
    save_offer,
    update_need,
    withdraw_match,
    withdraw_need,
)
from assistance.sponsorship import (
    applications_visible_to,
    apply_for_sponsorship,
    approve_sponsorship,
    reject_sponsorship,
    withdraw_sponsorship_application,
)
from core.models import MemberState
from core.permissions import states_for
from reporting.filters import REGIONS

# --- needs, offers, matches ---


def _donor_from(user, key: str | None) -> Donor:
    """The donor named by `key` ("state:FRA", "org:EU") among the user's, or their only one."""
    donors = donors_for(user)
    if not donors:
        raise exceptions.PermissionDenied()
    if not key:
        return donors[0]
    for donor in donors:
        if donor_key(*donor) == key:
            return donor
    raise serializers.ValidationError({"donor": _("You do not act for this donor.")})


class NeedSerializer(serializers.ModelSerializer):
    state = serializers.SlugRelatedField(slug_field="iso3", read_only=True)
    restricted_fields_hidden = serializers.SerializerMethodField()

    class Meta:
        model = Need
        fields = [
            "id",
            "state",
            *NEED_FIELDS,
            "status",
            "report",
            "created_at",
            "updated_at",
            "restricted_fields_hidden",
        ]
        read_only_fields = ["status", "report", "created_at", "updated_at"]

    def get_restricted_fields_hidden(self, need: Need) -> bool:
        return not shows_restricted(self.context["request"].user, need)

    def to_representation(self, need: Need) -> dict:
        data = super().to_representation(need)
        if data["restricted_fields_hidden"]:
            data.update({name: None for name in RESTRICTED_NEED_FIELDS})
        return data


RESTRICTED_NEED_FIELDS = ("description", "estimated_cost", "currency", "action_plan_url")


class NeedReadSerializer(NeedSerializer):
    """A need as the API answers it (the schema's view): the restricted fields are null
    for a reader who may not see them."""

    class Meta(NeedSerializer.Meta):
        extra_kwargs = {name: {"allow_null": True} for name in RESTRICTED_NEED_FIELDS}


class ExplanationSerializer(serializers.Serializer):
    score = serializers.IntegerField()
    eligible = serializers.BooleanField()
    factors = serializers.ListField(child=serializers.DictField())


class CandidateSerializer(serializers.Serializer):
    offer = serializers.IntegerField(source="offer.pk")
    title = serializers.CharField(source="offer.title")
    donor = serializers.CharField(source="offer.donor")
    explanation = ExplanationSerializer()


class OfferSerializer(serializers.ModelSerializer):
    donor = serializers.CharField(read_only=True)
    donor_key = serializers.CharField(write_only=True, required=False)
    themes = serializers.ListField(child=serializers.ChoiceField(Theme.choices), min_length=1)
    kinds = serializers.ListField(
        child=serializers.ChoiceField(AssistanceType.choices), min_length=1
    )
    eligible_regions = serializers.ListField(
        child=serializers.ChoiceField([code for code, _label in REGIONS]), required=False
    )
    eligible_states = serializers.SlugRelatedField(
        slug_field="iso3", many=True, required=False, queryset=MemberState.objects.all()
    )

    class Meta:
        model = Offer
        fields = [
            "id",
            "donor",
            "donor_key",
            *OFFER_FIELDS,
            "status",
            "created_at",
        ]
        read_only_fields = ["status", "created_at"]


class RankedNeedSerializer(serializers.Serializer):
    need = serializers.IntegerField(source="need.pk")
    state = serializers.CharField(source="need.state.iso3")
    theme = serializers.CharField(source="need.theme")
    kind = serializers.CharField(source="need.kind")
    score = serializers.IntegerField()


class MatchMessageSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.get_username")

    class Meta:
        model = MatchMessage
        fields = ["id", "side", "author", "body", "created_at"]


class MatchSerializer(serializers.ModelSerializer):
    donor = serializers.CharField(read_only=True)
    state = serializers.CharField(source="need.state.iso3", read_only=True)
    messages = MatchMessageSerializer(many=True, read_only=True)

    class Meta:
        model = Match
        fields = [
            "id",
            "need",
            "offer",
            "state",
            "donor",
            "status",
            "score",
            "amount",
            "currency",
            "agreement",
            "outcome",
            "created_at",
            "updated_at",
            "messages",
        ]


class InterestSerializer(serializers.Serializer):
    donor_key = serializers.CharField(required=False)
    offer = serializers.PrimaryKeyRelatedField(
        queryset=Offer.objects.filter(status=Offer.Status.OPEN), required=False, allow_null=True
    )
    message = serializers.CharField(max_length=5000)


@extend_schema_view(
    list=extend_schema(responses=NeedReadSerializer(many=True)),
    retrieve=extend_schema(responses=NeedReadSerializer),
    create=extend_schema(request=NeedSerializer, responses={201: NeedReadSerializer}),
    update=extend_schema(request=NeedSerializer, responses=NeedReadSerializer),
    partial_update=extend_schema(request=NeedSerializer, responses=NeedReadSerializer),
)
class NeedViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Needs of every State (restricted fields hidden from the public); a State's officials
    record and change their own; donors express interest."""

    serializer_class = NeedSerializer
    filterset_class = NeedFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_permissions(self):
        public = self.action in ("list", "retrieve", "candidates")
        return [AllowAny() if public else IsAuthenticated()]

    def get_queryset(self):
        return needs_visible_to(self.request.user).order_by("-created_at", "-pk")

    def perform_create(self, serializer):
        own = states_for(self.request.user, *OFFICIAL_ROLES)
        if not own:
            raise exceptions.PermissionDenied()
        serializer.instance = record_need(
            by=self.request.user, state=own[0], data=serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = update_need(
            serializer.instance, by=self.request.user, data=serializer.validated_data
        )

    @extend_schema(request=None, responses=NeedReadSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        need = withdraw_need(self.get_object(), by=request.user)
        return Response(NeedSerializer(need, context={"request": request}).data)

    @extend_schema(request=InterestSerializer, responses=MatchSerializer)
    @action(detail=True, methods=["post"])
    def interest(self, request, pk=None):
        incoming = InterestSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        match = express_interest(
            self.get_object(),
            by=request.user,
            donor=_donor_from(request.user, incoming.validated_data.get("donor_key")),
            offer=incoming.validated_data.get("offer"),
            message=incoming.validated_data["message"],
        )
        return Response(MatchSerializer(match).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=CandidateSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def candidates(self, request, pk=None):
        """Open offers ranked for this need, each with the explanation of its score."""
        return Response(
            CandidateSerializer(
                selectors.candidate_offers(self.get_object(), request.user), many=True
            ).data
        )


class OfferViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Offers of donors: open ones are public; a donor makes, changes and closes its own."""

    serializer_class = OfferSerializer
    filterset_class = OfferFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_permissions(self):
        public = self.action in ("list", "retrieve", "needs")
        return [AllowAny() if public else IsAuthenticated()]

    def get_queryset(self):
        return offers_visible_to(self.request.user).prefetch_related("eligible_states")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        donor = _donor_from(self.request.user, data.pop("donor_key", None))
        serializer.instance = save_offer(by=self.request.user, donor=donor, data=data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("donor_key", None)
        serializer.instance = save_offer(by=self.request.user, offer=serializer.instance, data=data)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return Response(OfferSerializer(close_offer(self.get_object(), by=request.user)).data)

    @extend_schema(responses=RankedNeedSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def needs(self, request, pk=None):
        """Open needs this offer could help with, best first."""
        ranked = selectors.ranked_needs(self.get_object(), request.user)
        rows = [{"need": need, "score": score} for need, score in ranked]
        return Response(RankedNeedSerializer(rows, many=True).data)


class AgreementSerializer(serializers.Serializer):
    agreement = serializers.CharField(max_length=5000)
    amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    currency = serializers.CharField(max_length=3, required=False, allow_blank=True)


class MatchMessageBodySerializer(serializers.Serializer):
    """A message in the conversation; the service refuses a blank one."""

    body = serializers.CharField(max_length=5000, allow_blank=True, default="")


class MatchOutcomeSerializer(serializers.Serializer):
    """A short note on the outcome; the service refuses a blank one."""

    outcome = serializers.CharField(max_length=2000, allow_blank=True, default="")


class MatchViewSet(viewsets.ReadOnlyModelViewSet):
    """Conversations between donors and States about needs: each party and UNODA read them;
    every other caller gets 404."""

    serializer_class = MatchSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        return matches_visible_to(self.request.user).prefetch_related("messages__author")

    def _act(self, change, **kwargs):
        change(self.get_object(), by=self.request.user, **kwargs)
        return Response(MatchSerializer(self.get_queryset().get(pk=self.kwargs["pk"])).data)

    def _body(self, serializer_class: type[serializers.Serializer]) -> dict:
        """The request body checked by `serializer_class` (its type, length, no NUL), after
        the 404 for a conversation the caller may not see."""
        self.get_object()
        incoming = serializer_class(data=self.request.data)
        incoming.is_valid(raise_exception=True)
        return incoming.validated_data

    @extend_schema(request=MatchMessageBodySerializer)
    @action(detail=True, methods=["post"])
    def message(self, request, pk=None):
        return self._act(post_match_message, body=self._body(MatchMessageBodySerializer)["body"])

    @extend_schema(request=AgreementSerializer)
    @action(detail=True, methods=["post"])
    def agree(self, request, pk=None):
        incoming = AgreementSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        return self._act(
            record_agreement,
            agreement=data["agreement"],
            amount=data.get("amount"),
            currency=str(data.get("currency") or "").upper(),
        )

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def fund(self, request, pk=None):
        return self._act(mark_match_funded)

    @extend_schema(request=MatchOutcomeSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        return self._act(complete_match, outcome=self._body(MatchOutcomeSerializer)["outcome"])

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        return self._act(decline_match)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._act(withdraw_match)


# --- sponsorship ---


class SponsorshipApplicationSerializer(serializers.ModelSerializer):
    state = serializers.SlugRelatedField(slug_field="iso3", read_only=True)
    meeting_title = serializers.CharField(source="meeting.display_title", read_only=True)
    amount_requested = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    currency = serializers.CharField(source="fund.currency", read_only=True)

    class Meta:
        model = SponsorshipApplication
        fields = [
            "id",
            "state",
            "meeting",
            "meeting_title",
            "traveller_name",
            "traveller_position",
            "travel_cost",
            "subsistence_cost",
            "amount_requested",
            "currency",
            "justification",
            "status",
            "amount_granted",
            "decision_note",
            "decided_at",
            "created_at",
        ]
        read_only_fields = fields


class SponsorshipApplicationCreateSerializer(serializers.ModelSerializer):
    """The State is needed only when the caller serves more than one."""

    state = serializers.SlugRelatedField(
        slug_field="iso3", queryset=MemberState.objects.all(), required=False
    )

    class Meta:
        model = SponsorshipApplication
        fields = [
            "state",
            "meeting",
            "traveller_name",
            "traveller_position",
            "travel_cost",
            "subsistence_cost",
            "justification",
        ]


class SponsorshipDecisionSerializer(serializers.Serializer):
    amount_granted = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, allow_null=True
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class SponsorshipApplicationViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Applications for sponsorship of a delegate to a meeting: a State's officials see
    and send their State's, UNODA sees all and decides; anyone else gets 404."""

    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        return applications_visible_to(self.request.user)

    def get_serializer_class(self):
        if self.action == "create":
            return SponsorshipApplicationCreateSerializer
        if self.action in ("approve", "reject"):
            return SponsorshipDecisionSerializer
        return SponsorshipApplicationSerializer

    def create(self, request, *args, **kwargs):
        own = states_for(request.user, *OFFICIAL_ROLES)
        if not own:
            raise exceptions.PermissionDenied()
        incoming = SponsorshipApplicationCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        state = data.pop("state", None) or own[0]
        created = apply_for_sponsorship(by=request.user, state=state, **data)
        return Response(
            SponsorshipApplicationSerializer(created).data, status=status.HTTP_201_CREATED
        )

    def _decision(self) -> tuple[SponsorshipApplication, dict]:
        application = self.get_object()
        incoming = SponsorshipDecisionSerializer(data=self.request.data)
        incoming.is_valid(raise_exception=True)
        return application, incoming.validated_data

    def _answer(self, application: SponsorshipApplication) -> Response:
        return Response(SponsorshipApplicationSerializer(application).data)

    @extend_schema(
        request=SponsorshipDecisionSerializer, responses=SponsorshipApplicationSerializer
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Grant the amount asked for, or `amount_granted` (no more than asked for)."""
        application, data = self._decision()
        return self._answer(
            approve_sponsorship(
                application,
                by=request.user,
                amount=data.get("amount_granted"),
                note=data.get("note", ""),
            )
        )

    @extend_schema(
        request=SponsorshipDecisionSerializer, responses=SponsorshipApplicationSerializer
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Turn the application down; `note` says why."""
        application, data = self._decision()
        return self._answer(
            reject_sponsorship(application, by=request.user, note=data.get("note", ""))
        )

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._answer(withdraw_sponsorship_application(self.get_object(), by=request.user))


# --- help with reports ---
