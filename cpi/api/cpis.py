"""CPIs (indicators of kind `cpi`, addressed by code): their profile, the customer evidence
notes, warnings; and the customer-centricity count (`GET /api/v1/customer-centricity/`)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import OrganisationScopedMixin
from core.dates import iso_date
from core.errors import NotFound
from core.schema import error_response
from indicators import selectors as indicator_selectors
from indicators.api.fields import CODE_PATTERN, JsonStringField

from .. import selectors, services
from ..models import CustomerSegment, NoteKind, ValueUnit
from .fields import ID_PATTERN, IsoDateField, author_of, iso
from .hypotheses import WarningSerializer


class ProfileSerializer(serializers.Serializer):
    desired_outcome = serializers.CharField(help_text=_("In the customer's words."))
    expectation = serializers.CharField()
    value_unit = serializers.ChoiceField(choices=ValueUnit.choices, allow_null=True)
    customer_segment = serializers.ChoiceField(choices=CustomerSegment.choices, allow_null=True)


class NoteSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    kind = serializers.ChoiceField(choices=NoteKind.choices)
    noted_on = IsoDateField(help_text=_("The day of the interview, inquiry or survey."))
    source = JsonStringField(max_length=200, help_text=_("Who, or which survey."))
    text = JsonStringField(help_text=_("What the customers said or did."))

    def to_representation(self, note) -> dict:
        return note_answer(note)


class CpiSerializer(serializers.Serializer):
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    unit = serializers.CharField(read_only=True)
    team = serializers.CharField(read_only=True, help_text=_("The accountable team; may be empty."))
    tracked = serializers.BooleanField(
        read_only=True, help_text=_("It has a value of its latest period that is not stale.")
    )
    profile = ProfileSerializer(read_only=True, allow_null=True)
    note_count = serializers.IntegerField(
        read_only=True, help_text=_("How many customer evidence notes it has.")
    )
    warnings = WarningSerializer(many=True, read_only=True)


class CpiDetailSerializer(CpiSerializer):
    notes = NoteSerializer(many=True, read_only=True, help_text=_("Newest first."))


class CpiChangesSerializer(serializers.Serializer):
    """What PATCH writes: the profile's fields and the accountable team."""

    desired_outcome = JsonStringField(required=False, allow_blank=True, allow_null=True)
    expectation = JsonStringField(required=False, allow_blank=True, allow_null=True, max_length=200)
    value_unit = serializers.ChoiceField(
        choices=ValueUnit.choices, required=False, allow_blank=True, allow_null=True
    )
    customer_segment = serializers.ChoiceField(
        choices=CustomerSegment.choices, required=False, allow_blank=True, allow_null=True
    )
    team = JsonStringField(required=False, allow_blank=True, allow_null=True, max_length=100)


def profile_answer(profile) -> dict | None:
    if profile is None:
        return None
    return {
        "desired_outcome": profile.desired_outcome,
        "expectation": profile.expectation,
        "value_unit": profile.value_unit or None,
        "customer_segment": profile.customer_segment or None,
    }


def note_answer(note) -> dict:
    return {
        "id": note.pk,
        "kind": note.kind,
        "noted_on": iso(note.noted_on),
        "source": note.source,
        "text": note.text,
    }


def cpi_answer(indicator, *, tracked: bool, note_count: int) -> dict:
    return {
        "code": indicator.code,
        "name": indicator.name,
        "unit": indicator.unit,
        "team": indicator.team,
        "tracked": tracked,
        "profile": profile_answer(indicator.profile),
        "note_count": note_count,
        "warnings": indicator.warnings,
    }


def cpi_detail_answer(indicator) -> dict:
    latest = indicator_selectors.latest_start_of(indicator)
    tracked = latest is not None and not indicator_selectors.indicator_is_stale(indicator)
    answer = cpi_answer(indicator, tracked=tracked, note_count=len(indicator.notes))
    return {**answer, "notes": [note_answer(note) for note in indicator.notes]}


CODE_PARAMETER = OpenApiParameter(
    "code",
    {"type": "string", "pattern": f"^{CODE_PATTERN}$", "maxLength": 63},
    OpenApiParameter.PATH,
    description=_("The CPI's indicator code (a KPI's code is not found)."),
)
NOTE_PARAMETER = OpenApiParameter(
    "note_id",
    {"type": "integer", "minimum": 1, "maximum": 10**18 - 1},
    OpenApiParameter.PATH,
    description=_("The evidence note's id."),
)


class CpiViewSet(OrganisationScopedMixin, viewsets.GenericViewSet):
    """The CPIs of the caller's organisation by name, addressed by indicator code; a KPI's code
    is not found here."""

    serializer_class = CpiSerializer
    lookup_field = "code"
    lookup_value_regex = CODE_PATTERN
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        """The CPIs as indicators (the schema reads the model; the actions use the selectors)."""
        return indicator_selectors.indicators_of(organisation=self.get_organisation()).filter(
            kind="cpi"
        )

    def _cpi(self, code: str):
        return selectors.cpi_by_code(organisation=self.get_organisation(), code=code)

    @extend_schema(responses=CpiSerializer(many=True))
    def list(self, request):
        rows = selectors.cpis_of(organisation=self.get_organisation())
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(
            [
                cpi_answer(
                    i,
                    tracked=i.latest_start is not None and not i.stale,
                    note_count=i.note_count,
                )
                for i in page
            ]
        )

    @extend_schema(parameters=[CODE_PARAMETER], responses=CpiDetailSerializer)
    def retrieve(self, request, code=None):
        return Response(cpi_detail_answer(self._cpi(code)))

    @extend_schema(
        parameters=[CODE_PARAMETER], request=CpiChangesSerializer, responses=CpiDetailSerializer
    )
    def partial_update(self, request, code=None):
        """Writes the CPI's profile (created on its first write) and its accountable team."""
        indicator = self._cpi(code)
        serializer = CpiChangesSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.save_profile(indicator=indicator, data=serializer.validated_data)
        return Response(cpi_detail_answer(self._cpi(code)))

    @extend_schema(
        parameters=[CODE_PARAMETER], request=NoteSerializer, responses={201: NoteSerializer}
    )
    @action(detail=True, methods=["post"])
    def notes(self, request, code=None):
        """Adds a dated note of customer evidence that the CPI matters."""
        indicator = self._cpi(code)
        serializer = NoteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        note = services.add_evidence_note(
            indicator=indicator, data=serializer.validated_data, created_by=author_of(request)
        )
        return Response(note_answer(note), status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="v1_cpis_notes_destroy",
        parameters=[CODE_PARAMETER, NOTE_PARAMETER],
        request=None,
        responses={204: None},
    )
    @action(
        detail=True,
        methods=["delete"],
        url_path=f"notes/(?P<note_id>{ID_PATTERN})",
        url_name="note",
    )
    def note(self, request, code=None, note_id=None):
        """Removes one evidence note of the CPI."""
        indicator = self._cpi(code)
        note = selectors.evidence_note_by_id(
            organisation=self.get_organisation(), note_id=int(note_id)
        )
        if note.indicator_id != indicator.pk:
            raise NotFound(f"No evidence note {note_id} of {code}.")
        services.delete_evidence_note(note=note)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TallySerializer(serializers.Serializer):
    cpi = serializers.IntegerField(help_text=_("Tracked CPIs."))
    kpi = serializers.IntegerField(help_text=_("Tracked KPIs."))
    cpi_total = serializers.IntegerField(help_text=_("All CPIs."))
    kpi_total = serializers.IntegerField(help_text=_("All KPIs."))
    share = serializers.FloatField(
        allow_null=True,
        help_text=_("CPIs among the tracked indicators, 0..1; null when nothing is tracked."),
    )


class TeamTallySerializer(TallySerializer):
    team = serializers.CharField(help_text=_("The team's name; empty: indicators without one."))


class CustomerCentricitySerializer(serializers.Serializer):
    organisation = TallySerializer()
    teams = TeamTallySerializer(many=True)


class CustomerCentricityView(OrganisationScopedMixin, APIView):
    """How customer-centric the measures are: tracked CPIs against KPIs, overall and by team."""

    @extend_schema(
        operation_id="v1_customer_centricity_retrieve",
        parameters=[
            OpenApiParameter(
                "on",
                OpenApiTypes.DATE,
                description=_(
                    "Judge staleness on this day (default: today in the organisation's time "
                    "zone): an indicator is tracked when its latest value is not stale then."
                ),
            )
        ],
        responses={
            200: CustomerCentricitySerializer,
            404: error_response(_("No such route.")),
        },
    )
    def get(self, request):
        """Counts of tracked CPIs and KPIs (a value of their latest period that is not stale)
        and the share of CPIs, for the organisation and for each team (no team last)."""
        on = request.query_params.get("on")
        try:
            today = None if on is None else iso_date(on)
        except ValueError:
            raise ValidationError({"on": [_("Use a date, YYYY-MM-DD.")]}) from None
        found = selectors.customer_centricity(organisation=self.get_organisation(), today=today)
        return Response(
            {
                "organisation": found["organisation"].as_dict(),
                "teams": [{"team": t.team, **t.as_dict()} for t in found["teams"]],
            }
        )
