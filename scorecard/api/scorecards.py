"""Scorecards: the nested create, the settings PATCH, the whole scorecard in one period and its
score history (`/api/v1/scorecards/`, `/{id}/`, `/{id}/history/`).

The create takes perspectives -> objectives -> measures in one body, resolves codes, ids and
usernames of the caller's organisation, and leaves every rule to `services.create_scorecard`
(its ValidationError keys name the nested item: `perspectives.0.objectives.1.measures.0.weight`).
Every answer is built from `selectors.scorecard_detail` with no further query (`answers`);
the history's from `selectors.score_history` (`history`).
"""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from core.api import OrganisationScopedMixin
from core.numbers import MAX_WEIGHT
from indicators import selectors as indicator_selectors
from indicators.compute.periods import previous_period_start
from indicators.models import Period
from outcomes import selectors as outcome_selectors

from .. import selectors, services
from ..models import PerspectiveKind, Preset, Scope
from .answers import ScorecardSerializer, ScorecardSummarySerializer, scorecard_answer, summaries
from .fields import (
    DETAIL_SCHEMA,
    ID_PARAMETER,
    ID_PATTERN,
    QUERY_DATE_SCHEMA,
    CodeField,
    IdField,
    JsonIntegerField,
    JsonNumberField,
    JsonStringField,
    MemberField,
    initiatives_by_id,
    period_schema,
    query_date,
)
from .history import ScorecardHistorySerializer, history_answer

MAX_MEASURES_LIMIT = 50
MAX_PHRASES = 200
MAX_HISTORY = 120


# --- requests -------------------------------------------------------------------------------


def weight_field(**kwargs) -> JsonNumberField:
    return JsonNumberField(
        required=False,
        min_value=0,
        max_value=MAX_WEIGHT,
        help_text=kwargs.pop("help_text", _("Its weight among its siblings; default 1.")),
        **kwargs,
    )


class MeasureInSerializer(serializers.Serializer):
    indicator = CodeField(max_length=63, help_text=_("The code of an indicator."))
    weight = weight_field()


class ObjectiveInSerializer(serializers.Serializer):
    key = JsonStringField(
        required=False,
        max_length=100,
        help_text=_("A name for `contributes_to` of other objectives in this body (not stored)."),
    )
    title = JsonStringField(max_length=200)
    voice = JsonStringField(
        required=False,
        allow_blank=True,
        help_text=_("The objective in the customer's own words (customer objectives)."),
    )
    description = JsonStringField(required=False, allow_blank=True)
    owner = MemberField(required=False)
    weight = weight_field()
    initiatives = serializers.ListField(
        child=IdField(), required=False, help_text=_("Ids of initiatives of the organisation.")
    )
    measures = MeasureInSerializer(many=True, required=False)
    contributes_to = serializers.ListField(
        child=JsonStringField(max_length=100),
        required=False,
        help_text=_("Keys of the objectives (in this body) this one helps reach."),
    )


class PerspectiveInSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=PerspectiveKind.choices)
    label = JsonStringField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text=_("Blank or absent: the preset's label of the kind."),
    )
    weight = weight_field()
    objectives = ObjectiveInSerializer(many=True, required=False)


class ScorecardSettingsSerializer(serializers.Serializer):
    """The settings of a scorecard: what a PATCH changes."""

    name = JsonStringField(max_length=200)
    description = JsonStringField(required=False, allow_blank=True)
    scope = serializers.ChoiceField(choices=Scope.choices, required=False)
    preset = serializers.ChoiceField(
        choices=Preset.choices,
        required=False,
        help_text=_("business, or public (Citizens first, financial called Stewardship)."),
    )
    period = serializers.ChoiceField(
        choices=Period.choices, required=False, help_text=_("The period it is scored at.")
    )
    on_track_from = JsonNumberField(required=False, min_value=0, max_value=1)
    at_risk_from = JsonNumberField(required=False, min_value=0, max_value=1)
    max_measures_per_objective = JsonIntegerField(
        required=False, min_value=1, max_value=MAX_MEASURES_LIMIT
    )
    generic_phrases = serializers.ListField(
        child=JsonStringField(max_length=200, allow_blank=True),
        required=False,
        max_length=MAX_PHRASES,
        help_text=_("An objective containing one is flagged as generic (en / sv / fi)."),
    )


class ScorecardCreateSerializer(ScorecardSettingsSerializer):
    perspectives = PerspectiveInSerializer(
        many=True,
        required=False,
        help_text=_("Absent: the preset's four perspectives, with no objectives."),
    )

    def validate(self, attrs) -> dict:
        """The service's `data`: codes, ids and usernames of the organisation resolved."""
        if "perspectives" not in attrs:
            return attrs
        organisation = self.context["view"].get_organisation()
        objectives = [o for p in attrs["perspectives"] for o in p.get("objectives", [])]
        codes = {m["indicator"] for o in objectives for m in o.get("measures", [])}
        indicators = outcome_selectors.indicators_by_code(organisation=organisation, codes=codes)
        ids = {pk for o in objectives for pk in o.get("initiatives", [])}
        initiatives = initiatives_by_id(organisation, ids)
        errors: dict[str, list[str]] = {}
        for p_index, perspective in enumerate(attrs["perspectives"]):
            for o_index, objective in enumerate(perspective.get("objectives", [])):
                at = f"perspectives.{p_index}.objectives.{o_index}"
                for index, measure in enumerate(objective.get("measures", [])):
                    code = measure["indicator"]
                    if code not in indicators:
                        errors[f"{at}.measures.{index}.indicator"] = [
                            gettext("No indicator '%(code)s' in the organisation.") % {"code": code}
                        ]
                    else:
                        measure["indicator"] = indicators[code]
                for index, pk in enumerate(objective.get("initiatives", [])):
                    if pk not in initiatives:
                        errors[f"{at}.initiatives.{index}"] = [
                            gettext("No initiative %(id)s.") % {"id": pk}
                        ]
                objective["initiatives"] = [
                    initiatives[pk] for pk in objective.get("initiatives", []) if pk in initiatives
                ]
        if errors:
            raise ValidationError(errors)
        return attrs


# --- the viewset ----------------------------------------------------------------------------

PERIOD_PARAMETER = period_schema(
    _(
        "A day in the period to answer (YYYY-MM-DD), at the scorecard's own period; absent: "
        "its latest complete period."
    )
)
HISTORY_PARAMETERS = [
    OpenApiParameter(
        "end",
        QUERY_DATE_SCHEMA,
        description=_("A day in the last period of the history; absent: the latest complete."),
    ),
    OpenApiParameter(
        "count",
        {"type": "integer", "minimum": 1, "maximum": MAX_HISTORY},
        description=_("How many periods, up to and including the last; default 12."),
    ),
]


@extend_schema_view(
    list=extend_schema(responses=ScorecardSummarySerializer(many=True)),
    create=extend_schema(request=ScorecardCreateSerializer, responses={201: ScorecardSerializer}),
    retrieve=extend_schema(
        parameters=[ID_PARAMETER, PERIOD_PARAMETER],
        responses=ScorecardSerializer,
    ),
    partial_update=extend_schema(
        parameters=[ID_PARAMETER],
        request=ScorecardSettingsSerializer,
        responses=ScorecardSerializer,
    ),
    destroy=DETAIL_SCHEMA["destroy"],
)
class ScorecardViewSet(
    OrganisationScopedMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    """Balanced scorecards of the caller's organisation, by name."""

    serializer_class = ScorecardCreateSerializer
    lookup_value_regex = ID_PATTERN
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return selectors.scorecards_of(organisation=self.get_organisation()).prefetch_related(
            "perspectives"
        )

    def get_serializer_class(self):
        if self.action == "partial_update":
            return ScorecardSettingsSerializer
        return ScorecardCreateSerializer

    def get_object(self):
        scorecard = selectors.scorecard_by_id(
            organisation=self.get_organisation(), pk=self.kwargs["pk"]
        )
        scorecard.organisation = self.get_organisation()  # its time zone, without a query
        return scorecard

    def list(self, request, *args, **kwargs):
        """Every scorecard with its settings and its latest complete period's scores."""
        organisation = self.get_organisation()
        page = self.paginate_queryset(self.get_queryset())
        today = indicator_selectors.today_of(organisation)
        return self.get_paginated_response(summaries(page, today))

    def create(self, request, *args, **kwargs):
        """A scorecard with its perspectives, objectives, measures and links, in one body;
        without `perspectives`, the preset's four."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        scorecard = services.create_scorecard(
            organisation=self.get_organisation(), data=serializer.validated_data
        )
        scorecard.organisation = self.get_organisation()
        return Response(self._answer(scorecard, None), status=status.HTTP_201_CREATED)

    def retrieve(self, request, *args, **kwargs):
        """The whole scorecard in one period: scores, statuses, links, maturity,
        customer-centricity and warnings."""
        day = query_date(request.query_params, "period")
        return Response(self._answer(self.get_object(), day))

    def partial_update(self, request, *args, **kwargs):
        """Change its settings; perspectives and objectives change through their own routes."""
        scorecard = self.get_object()
        if "perspectives" in (request.data if isinstance(request.data, dict) else {}):
            raise ValidationError(
                {
                    "perspectives": [
                        gettext(
                            "Change perspectives through /api/v1/perspectives/ and objectives "
                            "through /api/v1/objectives/."
                        )
                    ]
                }
            )
        serializer = ScorecardSettingsSerializer(
            data=request.data, partial=True, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        services.update_scorecard(scorecard=scorecard, data=serializer.validated_data)
        return Response(self._answer(scorecard, None))

    def destroy(self, request, *args, **kwargs):
        """Deletes the scorecard with its perspectives, objectives, measures and scores."""
        services.delete_scorecard(scorecard=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        parameters=[ID_PARAMETER, *HISTORY_PARAMETERS],
        responses=ScorecardHistorySerializer,
    )
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        """Stored scores per period of the scorecard, its perspectives, objectives and
        measures, over `count` periods up to `end`."""
        end = query_date(request.query_params, "end")
        count = _count_of(request.query_params)
        scorecard = self.get_object()
        periods = _periods(scorecard, end, count)
        history = selectors.score_history(scorecard=scorecard, end=end, count=count)
        perspectives = selectors.structure_of(scorecard)
        return Response(history_answer(scorecard, periods, history, perspectives))

    def _answer(self, scorecard, day) -> dict:
        return scorecard_answer(selectors.scorecard_detail(scorecard=scorecard, period_start=day))


def _periods(scorecard, end, count) -> list:
    """The `count` period starts up to the one holding `end`, oldest first (as
    `selectors.score_history` reads them)."""
    last = selectors.period_start_of(scorecard, end)
    starts = [last]
    for _step in range(count - 1):
        starts.append(previous_period_start(starts[-1], scorecard.period))
    return starts[::-1]


def _count_of(query) -> int:
    text = query.get("count")
    if text is None:
        return 12
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_HISTORY:
        raise ValidationError(
            {"count": [gettext("Use a whole number from 1 to %(max)s.") % {"max": MAX_HISTORY}]}
        )
    return int(text)
