"""The indicator library over the API: `GET /api/v1/indicator-library/` (filters `evidence`,
`kind`, `layer`, `language`), `GET .../{code}/`, and `POST .../{code}/add/`, which creates the
indicator (optionally as a measure of an objective) and answers it as the indicator API does."""

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from core.api import OrganisationScopedMixin
from core.errors import NotFound
from indicators import selectors as indicator_selectors
from indicators.api.fields import CODE_PATTERN, CodeField, IdField, JsonNumberField
from indicators.api.indicators import IndicatorSerializer
from indicators.models import Aggregation, Direction, Evidence, Kind, Layer, Period

from .. import library, selectors
from ..library import choices
from ..services.library import add_from_library

EVIDENCE_FILTER = [*Evidence.values, library.NEITHER]
FILTERS = {
    "evidence": EVIDENCE_FILTER,
    "kind": Kind.values,
    "layer": Layer.values,
    "language": list(library.LANGUAGES),
}
CODE_PARAMETER = OpenApiParameter(
    "code",
    {"type": "string", "pattern": f"^{CODE_PATTERN}$", "maxLength": 63},
    OpenApiParameter.PATH,
    description=_("The library entry's code."),
)
LANGUAGE_PARAMETER = OpenApiParameter(
    "language",
    str,
    enum=list(library.LANGUAGES),
    description=_("Language of the names, definitions and units (default: the request's)."),
)
LIST_PARAMETERS = [
    OpenApiParameter(
        "evidence",
        str,
        enum=EVIDENCE_FILTER,
        description=_("What customers say, what they do, or none (neither)."),
    ),
    OpenApiParameter("kind", str, enum=Kind.values),
    OpenApiParameter("layer", str, enum=Layer.values),
    LANGUAGE_PARAMETER,
]


class LibraryEntrySerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text=_("The code the indicator gets unless another is given.")
    )
    language = serializers.ChoiceField(choices=library.LANGUAGES)
    name = serializers.CharField()
    definition = serializers.CharField()
    unit = serializers.CharField()
    kind = serializers.ChoiceField(choices=Kind.choices)
    evidence = serializers.ChoiceField(choices=Evidence.choices, allow_null=True)
    layer = serializers.ChoiceField(choices=Layer.choices)
    direction = serializers.ChoiceField(choices=Direction.choices)
    aggregation = serializers.ChoiceField(choices=Aggregation.choices)
    period = serializers.ChoiceField(choices=Period.choices)
    leading = serializers.BooleanField()
    code_in_use = serializers.BooleanField(
        help_text=_("The organisation already has an indicator with this code.")
    )


class LibraryAddSerializer(serializers.Serializer):
    code = CodeField(
        max_length=63,
        required=False,
        help_text=_("The new indicator's code (default: the entry's)."),
    )
    language = serializers.ChoiceField(
        choices=library.LANGUAGES,
        required=False,
        help_text=_("Language of its name, definition and unit (default: the request's)."),
    )
    objective = IdField(
        required=False,
        allow_null=True,
        help_text=_("Also add it as a measure of this objective (id)."),
    )
    weight = JsonNumberField(
        required=False,
        default=1.0,
        help_text=_("Its weight in the objective's score (default 1)."),
    )


def entry_answer(entry, *, language: str, code_in_use: bool) -> dict:
    return {
        "code": entry.code,
        "language": language,
        "name": entry.name(language),
        "definition": entry.definition(language),
        "unit": entry.unit(language),
        "kind": entry.kind,
        "evidence": entry.evidence or None,
        "layer": entry.layer,
        "direction": entry.direction,
        "aggregation": entry.aggregation,
        "period": entry.period,
        "leading": entry.leading,
        "code_in_use": code_in_use,
    }


def _filters(query) -> dict:
    """The filters sent; a filter that is sent must be valid (400 naming it)."""
    errors, found = {}, {}
    for name, allowed in FILTERS.items():
        value = query.get(name)
        if value is None:
            continue
        if value not in allowed:
            errors[name] = [_("Use one of: %(values)s.") % {"values": ", ".join(allowed)}]
        else:
            found[name] = value
    if errors:
        raise ValidationError(errors)
    return found


class IndicatorLibraryViewSet(OrganisationScopedMixin, viewsets.GenericViewSet):
    """Curated customer-perspective measures, ready to add as indicators of the organisation."""

    serializer_class = LibraryEntrySerializer
    lookup_field = "code"
    lookup_value_regex = CODE_PATTERN
    filter_backends = []  # the filters are checked by hand: entries are no queryset

    def _codes_in_use(self, codes) -> set[str]:
        return choices.codes_in_use(organisation=self.get_organisation(), codes=codes)

    @extend_schema(parameters=LIST_PARAMETERS, responses=LibraryEntrySerializer(many=True))
    def list(self, request):
        """The entries matching every filter, by layer (impact, execution, prerequisite, choice),
        worded in `language`."""
        filters = _filters(request.query_params)
        language = library.language_of(filters.pop("language", None) or get_language())
        entries = library.filtered(**filters)
        page = self.paginate_queryset(entries)
        in_use = self._codes_in_use([entry.code for entry in page])
        return self.get_paginated_response(
            [
                entry_answer(entry, language=language, code_in_use=entry.code in in_use)
                for entry in page
            ]
        )

    @extend_schema(
        parameters=[CODE_PARAMETER, LANGUAGE_PARAMETER], responses=LibraryEntrySerializer
    )
    def retrieve(self, request, code=None):
        entry = library.entry_by_code(code)
        language = library.language_of(
            _filters({"language": request.query_params.get("language")}).get("language")
            or get_language()
        )
        in_use = self._codes_in_use([entry.code])
        return Response(entry_answer(entry, language=language, code_in_use=entry.code in in_use))

    @extend_schema(
        parameters=[CODE_PARAMETER],
        request=LibraryAddSerializer,
        responses={201: IndicatorSerializer},
    )
    @action(detail=True, methods=["post"])
    def add(self, request, code=None):
        """Creates the entry's indicator (code, name, definition, unit, kind, say/do, layer,
        direction, aggregation, period, leading from the library) and, with `objective`, adds
        it there as a measure. Nothing is created when any part is refused."""
        entry = library.entry_by_code(code)
        serializer = LibraryAddSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        organisation = self.get_organisation()
        objective = None
        if data.get("objective") is not None:
            try:
                objective = selectors.objective_by_id(
                    organisation=organisation, pk=data["objective"]
                )
            except NotFound:
                raise ValidationError(
                    {
                        "objective": [
                            _("No objective %(id)s in your organisation.")
                            % {"id": data["objective"]}
                        ]
                    }
                ) from None
        indicator = add_from_library(
            organisation=organisation,
            entry=entry,
            code=data.get("code"),
            objective=objective,
            weight=data["weight"],
            language=data.get("language") or get_language(),
        )
        indicator = indicator_selectors.indicator_by_code(
            organisation=organisation, code=indicator.code
        )
        return Response(IndicatorSerializer(indicator).data, status=status.HTTP_201_CREATED)
