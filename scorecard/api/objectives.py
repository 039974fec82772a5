"""Objectives one at a time (`/api/v1/objectives/`): list them by scorecard or perspective,
create one in a perspective, read, PATCH (measures, cause-effect links and initiatives replaced
whole) and delete. The rules are `services.create_objective` / `update_objective`'s."""

from django.db.models import Prefetch, Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_view
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from core.errors import NotFound
from core.filters import StrictFilterSet
from core.numbers import MAX_WEIGHT
from indicators import selectors as indicator_selectors
from indicators.api.fields import WholePartSerializer
from indicators.compute.periods import previous_period_start
from indicators.models import Evidence, Kind, Layer
from outcomes import selectors as outcome_selectors

from .. import selectors, services
from ..compute import status_of_score
from ..models import Measure, Objective, ObjectiveLink, Part, Score
from .fields import (
    DETAIL_SCHEMA,
    CodeField,
    IdField,
    IdFilter,
    JsonIntegerField,
    JsonNumberField,
    JsonStringField,
    MemberField,
    ScopedByIdViewSet,
    initiatives_by_id,
    measure_facts,
    score_field,
    status_field,
)

DEFAULT_WEIGHT = 1.0
MAX_POSITION = 32767


class ObjectiveMeasureSerializer(WholePartSerializer):
    """A measure sent (indicator and weight) and answered (with its indicator's facts)."""

    id = serializers.IntegerField(read_only=True)
    indicator = CodeField(max_length=63, help_text=_("The code of an indicator."))
    weight = JsonNumberField(
        required=False,
        min_value=0,
        max_value=MAX_WEIGHT,
        help_text=_("Absent: the weight it has now, else 1."),
    )
    evidence = serializers.ChoiceField(
        choices=Evidence.choices,
        allow_null=True,
        read_only=True,
        help_text=_("What customers say or do; null: neither."),
    )
    layer = serializers.ChoiceField(choices=Layer.choices, allow_null=True, read_only=True)
    kind = serializers.ChoiceField(choices=Kind.choices, read_only=True)


class ObjectiveSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    scorecard = serializers.IntegerField(read_only=True, help_text=_("The scorecard's id."))
    perspective = IdField(help_text=_("The id of its perspective (PATCH: move it there)."))
    title = JsonStringField(max_length=200)
    voice = JsonStringField(
        required=False,
        allow_blank=True,
        help_text=_("The objective in the customer's own words (customer objectives)."),
    )
    description = JsonStringField(required=False, allow_blank=True)
    owner = MemberField(required=False)
    weight = JsonNumberField(required=False, min_value=0, max_value=MAX_WEIGHT)
    position = JsonIntegerField(
        required=False,
        min_value=0,
        max_value=MAX_POSITION,
        help_text=_("Its place in the perspective; absent on create: after the others."),
    )
    initiatives = serializers.ListField(
        child=IdField(),
        required=False,
        help_text=_("Ids of the initiatives it carries (replaces them)."),
    )
    measures = ObjectiveMeasureSerializer(
        many=True, required=False, help_text=_("Its measures (replaces them).")
    )
    contributes_to = serializers.ListField(
        child=IdField(),
        required=False,
        help_text=_("Ids of the objectives of the same scorecard it helps reach (replaces them)."),
    )
    contributors = serializers.ListField(
        child=serializers.IntegerField(),
        read_only=True,
        help_text=_("Ids of the objectives that help reach this one."),
    )
    period_start = serializers.DateField(
        read_only=True, help_text=_("The scorecard's latest complete period, scored below.")
    )
    score = score_field()
    status = status_field()
    previous = score_field(help_text=_("The score of the period before, or null."))
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def to_representation(self, objective: Objective) -> dict:
        scored = getattr(self.context.get("view"), "scored", {})
        scores, starts = scored.get("scores", {}), scored.get("starts", {})
        scorecard = objective.perspective.scorecard
        start, previous = starts.get(scorecard.pk, (None, None))
        score = scores.get((start, objective.pk))
        stamp = serializers.DateTimeField()
        return {
            "id": objective.pk,
            "scorecard": scorecard.pk,
            "perspective": objective.perspective_id,
            "title": objective.title,
            "voice": objective.voice,
            "description": objective.description,
            "owner": objective.owner.get_username() if objective.owner else None,
            "weight": objective.weight,
            "position": objective.position,
            "initiatives": [i.pk for i in objective.initiatives.all()],
            "measures": [measure_facts(m) for m in objective.measures.all()],
            "contributes_to": [link.target_id for link in objective.links_out.all()],
            "contributors": [link.source_id for link in objective.links_in.all()],
            "period_start": start.isoformat() if start else None,
            "score": score,
            "status": status_of_score(
                score,
                on_track_from=scorecard.on_track_from,
                at_risk_from=scorecard.at_risk_from,
            ),
            "previous": scores.get((previous, objective.pk)),
            "created_at": stamp.to_representation(objective.created_at),
            "updated_at": stamp.to_representation(objective.updated_at),
        }

    def validate(self, attrs) -> dict:
        """The service's `data`: ids, codes and usernames of this organisation resolved."""
        organisation = self.context["view"].get_organisation()
        names = ("title", "voice", "description", "owner", "weight", "position")
        data = {name: attrs[name] for name in names if name in attrs}
        errors: dict[str, list[str]] = {}
        if "perspective" in attrs:
            try:
                data["perspective"] = selectors.perspective_by_id(
                    organisation=organisation, pk=attrs["perspective"]
                )
            except NotFound:
                errors["perspective"] = [
                    gettext("No perspective %(id)s.") % {"id": attrs["perspective"]}
                ]
        if "initiatives" in attrs:
            found = initiatives_by_id(organisation, set(attrs["initiatives"]))
            unknown = [pk for pk in dict.fromkeys(attrs["initiatives"]) if pk not in found]
            if unknown:
                errors["initiatives"] = [
                    gettext("No initiative %(id)s.") % {"id": pk} for pk in unknown
                ]
            data["initiatives"] = [found[pk] for pk in attrs["initiatives"] if pk in found]
        if "measures" in attrs:
            measures = _measures(organisation, self.instance, attrs["measures"], errors)
            if measures is not None:
                data["measures"] = measures
        if "contributes_to" in attrs:
            ids = attrs["contributes_to"]
            found = _objectives_by_id(organisation, ids)
            unknown = [pk for pk in dict.fromkeys(ids) if pk not in found]
            if unknown:
                errors["contributes_to"] = [
                    gettext("No objective %(id)s.") % {"id": pk} for pk in unknown
                ]
            data["contributes_to"] = [found[pk] for pk in dict.fromkeys(ids) if pk in found]
        if errors:
            raise ValidationError(errors)
        return data


def _measures(organisation, objective, items, errors):
    """[(Indicator, weight)]: each code with its weight sent, else the weight it has now,
    else 1; None when a code is unknown (named in `errors`)."""
    current = {m.indicator.code: m.weight for m in objective.measures.all()} if objective else {}
    codes = [item["indicator"] for item in items]
    found = outcome_selectors.indicators_by_code(organisation=organisation, codes=codes)
    unknown = {
        f"measures.{index}.indicator": [
            gettext("No indicator '%(code)s' in the organisation.") % {"code": code}
        ]
        for index, code in enumerate(codes)
        if code not in found
    }
    if unknown:
        errors.update(unknown)
        return None
    return [
        (
            found[item["indicator"]],
            item.get("weight", current.get(item["indicator"], DEFAULT_WEIGHT)),
        )
        for item in items
    ]


def _objectives_by_id(organisation, ids) -> dict[int, Objective]:
    if not ids:
        return {}
    rows = Objective.objects.filter(
        perspective__scorecard__in=selectors.scorecards_of(organisation=organisation),
        pk__in=set(ids),
    ).select_related("perspective")
    return {objective.pk: objective for objective in rows}


def objectives_with_parts(organisation):
    """The organisation's objectives with their scorecard, owner, measures (with indicators),
    initiatives and links, in scorecard, perspective and objective order."""
    return (
        Objective.objects.filter(
            perspective__scorecard__in=selectors.scorecards_of(organisation=organisation)
        )
        .select_related("perspective__scorecard", "owner")
        .prefetch_related(
            Prefetch("measures", queryset=Measure.objects.select_related("indicator")),
            "initiatives",
            Prefetch("links_out", queryset=ObjectiveLink.objects.order_by("target_id")),
            Prefetch("links_in", queryset=ObjectiveLink.objects.order_by("source_id")),
        )
        .order_by(
            "perspective__scorecard__name",
            "perspective__scorecard_id",
            "perspective__position",
            "perspective_id",
            "position",
            "pk",
        )
    )


def scores_of(objectives, today) -> tuple[dict, dict]:
    """({(period start, objective id): score}, {scorecard id: (start, previous)}) of each
    objective's scorecard's latest complete period and the one before (one query)."""
    starts = {}
    for objective in objectives:
        scorecard = objective.perspective.scorecard
        if scorecard.pk not in starts:
            start = selectors.default_period_start(scorecard, today)
            starts[scorecard.pk] = (start, previous_period_start(start, scorecard.period))
    if not starts:
        return {}, {}
    condition = Q(pk__in=[])
    for scorecard_id, pair in starts.items():
        condition |= Q(scorecard_id=scorecard_id, period_start__in=pair)
    rows = Score.objects.filter(
        condition, part=Part.OBJECTIVE, part_id__in=[o.pk for o in objectives]
    ).values_list("period_start", "part_id", "score")
    return {(start, pk): score for start, pk, score in rows}, starts


class ObjectiveFilter(StrictFilterSet):
    scorecard = IdFilter(field_name="perspective__scorecard_id", help_text=_("A scorecard's id."))
    perspective = IdFilter(field_name="perspective_id", help_text=_("A perspective's id."))

    class Meta:
        model = Objective
        fields = ["scorecard", "perspective"]


@extend_schema_view(**DETAIL_SCHEMA)
class ObjectiveViewSet(ScopedByIdViewSet):
    """Objectives of the caller's organisation's scorecards, in scorecard order."""

    serializer_class = ObjectiveSerializer
    filterset_class = ObjectiveFilter

    def get_queryset(self):
        return objectives_with_parts(self.get_organisation())

    def paginate_queryset(self, queryset):
        """The page's scores in one query, not one per objective."""
        page = super().paginate_queryset(queryset)
        self._score(page or [])
        return page

    def get_object(self):
        objective = super().get_object()
        self._score([objective])
        return objective

    def _score(self, objectives) -> None:
        today = indicator_selectors.today_of(self.get_organisation())
        scores, starts = scores_of(list(objectives), today)
        self.scored = {"scores": scores, "starts": starts}

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        if "perspective" not in data:
            raise ValidationError({"perspective": [gettext("This field is required.")]})
        objective = services.create_objective(perspective=data.pop("perspective"), data=data)
        serializer.instance = self._fresh(objective.pk)

    def perform_update(self, serializer):
        objective = services.update_objective(
            objective=serializer.instance, data=serializer.validated_data
        )
        serializer.instance = self._fresh(objective.pk)

    def _fresh(self, pk) -> Objective:
        objective = self.get_queryset().get(pk=pk)
        self._score([objective])
        return objective

    def destroy(self, request, *args, **kwargs):
        """Deletes the objective with its measures and cause-effect links."""
        services.delete_objective(objective=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
