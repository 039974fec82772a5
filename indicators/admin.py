from django.contrib import admin

from .models import Benchmark, Deviation, Indicator, Measurement, PeriodValue, Target


class TargetInline(admin.TabularInline):
    model = Target
    extra = 0


class BenchmarkInline(admin.TabularInline):
    model = Benchmark
    extra = 0


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "organisation", "kind", "aggregation", "period", "layer"]
    list_filter = ["organisation", "kind", "layer", "evidence", "period"]
    search_fields = ["code", "name"]
    inlines = [TargetInline, BenchmarkInline]


@admin.register(Measurement)
class MeasurementAdmin(admin.ModelAdmin):
    list_display = ["indicator", "observed_at", "value", "numerator", "denominator", "key"]
    list_filter = ["indicator__organisation"]
    search_fields = ["indicator__code", "key"]
    raw_id_fields = ["indicator"]
    show_full_result_count = False


@admin.register(PeriodValue)
class PeriodValueAdmin(admin.ModelAdmin):
    list_display = ["indicator", "period", "segment", "period_start", "value", "assessment"]
    list_filter = ["period", "assessment"]
    raw_id_fields = ["indicator"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False  # computed, never entered


@admin.register(Deviation)
class DeviationAdmin(admin.ModelAdmin):
    list_display = ["indicator", "period_start", "kind", "value", "state"]
    list_filter = ["state", "kind"]
    raw_id_fields = ["indicator"]
