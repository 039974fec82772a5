"""Documentation-only serializers: the shapes of the bulk push and the values answer.

The measurements view decodes its body itself (one pass over up to 10,000 items) and the values
answer comes straight from `selectors.indicator_values`; these serializers only tell the OpenAPI
schema, and so generated clients, what those shapes are. Limits mirror `services.items`.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample
from rest_framework import serializers

from .compute.periods import PERIODS
from .compute.scoring import POSITIONS
from .compute.spc import SIGNALS
from .services.items import SEGMENT_JSON_MAX

ASSESSMENTS = ("worse", "expected", "better")  # compute.scoring.assessment


def _number(help_text=None):
    return serializers.FloatField(required=False, allow_null=True, help_text=help_text)


class MeasurementItemSerializer(serializers.Serializer):
    indicator = serializers.CharField(help_text=_("The indicator's code."))
    observed_at = serializers.CharField(
        help_text=_(
            "ISO-8601 timestamp with an offset or Z, or a bare date (the start of that day "
            "in the organisation's time zone)."
        )
    )
    value = _number(_("A finite number; absent or null for ratio indicators."))
    numerator = _number(_("Ratio indicators only."))
    denominator = _number(_("Ratio indicators only; not negative."))
    segment = serializers.DictField(
        child=serializers.CharField(),
        required=False,
        allow_null=True,
        help_text=_("{dimension: member}; at most %(max)s characters as JSON. Absent: no segment.")
        % {"max": SEGMENT_JSON_MAX},
    )
    key = serializers.CharField(
        required=False,
        allow_null=True,
        min_length=1,
        max_length=200,
        help_text=_("The client's name for the item: the natural key becomes (indicator, key)."),
    )
    comment = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=2000
    )


class MeasurementBatchSerializer(serializers.Serializer):
    measurements = MeasurementItemSerializer(many=True)
    dry_run = serializers.BooleanField(
        required=False, default=False, help_text=_("Validate and count, write nothing.")
    )


class IngestCountsSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()


def _choice(choices, help_text=None):
    return serializers.ChoiceField(choices=choices, allow_null=True, help_text=help_text)


class PeriodValueSerializer(serializers.Serializer):
    period_start = serializers.DateField(help_text=_("The period's first day, local time."))
    value = serializers.FloatField(allow_null=True)
    count = serializers.IntegerField(help_text=_("Measurements in the period."))
    numerator = serializers.FloatField(allow_null=True)
    denominator = serializers.FloatField(allow_null=True)
    target = serializers.FloatField(allow_null=True)
    progress = serializers.FloatField(
        allow_null=True, help_text=_("0..1 from baseline to target; null without either.")
    )
    band_low = serializers.FloatField(allow_null=True)
    band_high = serializers.FloatField(allow_null=True)
    position = _choice(POSITIONS, _("Where the value lies against the band."))
    assessment = _choice(ASSESSMENTS, _("The position read in the indicator's direction."))
    previous = serializers.FloatField(allow_null=True)
    change = serializers.FloatField(allow_null=True, help_text=_("value - previous."))
    benchmark = serializers.FloatField(allow_null=True)
    centre = serializers.FloatField(
        allow_null=True, help_text=_("Centre line in force for the period (XmR); null: no limits.")
    )
    lower_limit = serializers.FloatField(
        allow_null=True, help_text=_("Lower natural process limit in force for the period.")
    )
    upper_limit = serializers.FloatField(
        allow_null=True, help_text=_("Upper natural process limit in force for the period.")
    )
    signal = _choice(
        SIGNALS,
        _(
            "Which XmR rule fired (limit before run before 2 of 3), judged by the limits in "
            "force over the whole series; null: noise."
        ),
    )


class LimitsPhaseSerializer(serializers.Serializer):
    """One phase of the natural process limits: the periods it judges and its baseline window."""

    from_ = serializers.DateField(help_text=_("First period judged by these limits."))
    to = serializers.DateField(help_text=_("Last period with a value judged by these limits."))
    baseline_from = serializers.DateField(help_text=_("First period of the baseline window."))
    baseline_to = serializers.DateField(help_text=_("Last period of the baseline window."))
    baseline_points = serializers.IntegerField(help_text=_("Values in the baseline window."))
    centre = serializers.FloatField(allow_null=True, help_text=_("Mean of the window."))
    lower_limit = serializers.FloatField(allow_null=True)
    upper_limit = serializers.FloatField(allow_null=True)
    mean_moving_range = serializers.FloatField(allow_null=True)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields


class IndicatorValuesSerializer(serializers.Serializer):
    indicator = serializers.CharField(help_text=_("The indicator's code."))
    period = serializers.ChoiceField(choices=list(PERIODS))
    segment = serializers.CharField(allow_null=True, help_text=_("dimension:member, or null."))
    computed_at = serializers.DateTimeField(allow_null=True)
    limits = LimitsPhaseSerializer(
        many=True,
        help_text=_(
            "Phases of the natural process limits, oldest first: one, or two when the baseline "
            "window was moved (recalculated) after the first values; empty without values."
        ),
    )
    results = PeriodValueSerializer(many=True)


# Request examples: shown in /api/docs/, and the first requests schemathesis sends.
INDICATOR_EXAMPLE = OpenApiExample(
    "A ratio indicator with a target and a band",
    request_only=True,
    value={
        "code": "fast_quote",
        "name": "Quote within a minute",
        "unit": "%",
        "kind": "cpi",
        "direction": "higher_is_better",
        "aggregation": "ratio",
        "period": "month",
        "targets": [{"from": "2026-01-01", "value": 80}],
        "band": {"low": 60, "high": None, "action_below": "Find the slow step"},
        "spc": {"baseline_points": 12, "two_of_three": True},
        "stale_grace_days": 5,
    },
)
INDICATOR_BANDS_EXAMPLE = OpenApiExample(
    "Band versions: a band tightened from 1 January",
    request_only=True,
    value={
        "bands": [
            {
                "from": None,
                "low": 60,
                "high": 95,
                "action_below": "Find the slow step",
                "action_above": "What made this possible? Share it with every team.",
            },
            {
                "from": "2027-01-01",
                "low": 70,
                "high": 95,
                "action_below": "Find the slow step the same day",
                "action_above": "What made this possible? Share it with every team.",
            },
        ]
    },
)
MEASUREMENTS_EXAMPLE = OpenApiExample(
    "Measurements with and without a key",
    request_only=True,
    value={
        "measurements": [
            {"indicator": "nps", "observed_at": "2026-03-02T10:15:00+01:00", "value": 31.5},
            {
                "indicator": "nps",
                "observed_at": "2026-03-03",
                "value": 28,
                "segment": {"channel": "web"},
                "key": "survey-2026-03-03-web",
                "comment": "weekly survey export",
            },
        ],
        "dry_run": False,
    },
)
