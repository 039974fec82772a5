"""The naive baseline: a DRF ModelSerializer that validates per field and saves row by row.

This is what a first implementation of the push endpoint usually looks like; the bench measures how
far the product's bulk path is ahead of it. Never mounted in the product (see bench/urls.py).
"""

from django.db import transaction
from django.utils import timezone
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from indicators.compute.periods import local_date
from indicators.models import DirtyMark, Indicator, Measurement
from indicators.services.items import natural_key_of


class NaiveMeasurementSerializer(serializers.ModelSerializer):
    indicator = serializers.SlugRelatedField(slug_field="code", queryset=Indicator.objects.all())

    class Meta:
        model = Measurement
        fields = [
            "indicator",
            "observed_at",
            "value",
            "numerator",
            "denominator",
            "segment",
            "key",
            "comment",
        ]

    def create(self, validated_data):
        indicator = validated_data["indicator"]
        tz = indicator.organisation.tz
        observed_at = validated_data["observed_at"]
        segment = validated_data.get("segment") or {}
        natural_key = natural_key_of(validated_data.get("key"), segment, observed_at)
        measurement, _created = Measurement.objects.update_or_create(
            indicator=indicator,
            natural_key=natural_key,
            defaults={
                **validated_data,
                "segment": segment,
                "local_date": local_date(observed_at, tz),
            },
        )
        DirtyMark.objects.update_or_create(
            indicator=indicator,
            day=measurement.local_date,
            defaults={"marked_at": timezone.now()},
        )
        return measurement


class NaiveMeasurementsView(APIView):
    def post(self, request):
        serializer = NaiveMeasurementSerializer(data=request.data["measurements"], many=True)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            serializer.save()
        return Response({"created": len(serializer.validated_data)})
