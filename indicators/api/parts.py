"""The nested parts of an indicator: baseline, targets, benchmarks, bands and SPC settings."""

from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from .fields import (
    JsonBooleanField,
    JsonIntegerField,
    JsonNumberField,
    JsonStringField,
    MemberField,
    WholePartSerializer,
)


class BaselineSerializer(WholePartSerializer):
    value = JsonNumberField()
    date = serializers.DateField(required=False, allow_null=True)


class TargetSerializer(WholePartSerializer):
    value = JsonNumberField()

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField(source="valid_from")
        return fields


class BenchmarkSerializer(TargetSerializer):
    source = JsonStringField(required=False, allow_blank=True, default="")


class BandSerializer(serializers.Serializer):
    """The band in force today; written from the start of the current period (see the docs)."""

    low = JsonNumberField(allow_null=True, required=False, default=None)
    high = JsonNumberField(allow_null=True, required=False, default=None)
    action_below = JsonStringField(required=False, allow_blank=True, default="")
    action_above = JsonStringField(required=False, allow_blank=True, default="")
    # Absent: the owner of the band in force stays.
    owner = MemberField(required=False)

    def validate(self, attrs):
        low, high = attrs.get("low"), attrs.get("high")
        if low is None and high is None:
            raise ValidationError({"low": "A band needs a low or a high limit (or send null)."})
        if low is not None and high is not None and low > high:
            raise ValidationError({"low": "The low limit is above the high limit."})
        return attrs


class BandVersionSerializer(WholePartSerializer):
    """One band version: in force from `from` (null: from the first period) until the next;
    neither limit ends the band from its date."""

    low = JsonNumberField(allow_null=True, required=False, default=None)
    high = JsonNumberField(allow_null=True, required=False, default=None)
    action_below = JsonStringField(required=False, allow_blank=True, default="")
    action_above = JsonStringField(required=False, allow_blank=True, default="")
    owner = MemberField(required=False, default=None)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField(
            source="valid_from", required=False, allow_null=True, default=None
        )
        return fields

    def validate(self, attrs):
        attrs = super().validate(attrs)
        low, high = attrs.get("low"), attrs.get("high")
        if low is not None and high is not None and low > high:
            raise ValidationError({"low": "The low limit is above the high limit."})
        return attrs


class SpcSerializer(serializers.Serializer):
    """Natural process limits: from `baseline_points` values starting at `baseline_from`."""

    baseline_from = serializers.DateField(
        required=False, allow_null=True, help_text="null: from the first value."
    )
    baseline_points = JsonIntegerField(
        required=False,
        min_value=2,
        max_value=1000,
        error_messages={
            "min_value": "A baseline window needs at least 2 points.",
            "max_value": "A baseline window has at most 1000 points.",
        },
    )
    two_of_three = JsonBooleanField(
        required=False, help_text="Also signal 2 of 3 values beyond 2 sigma on one side."
    )
