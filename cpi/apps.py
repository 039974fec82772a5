from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CpiConfig(AppConfig):
    name = "cpi"
    verbose_name = _("CPI evidence")

    def ready(self):
        # Evidence follows the series: after every recompute that changed values, the
        # hypotheses whose cause or effect changed (or whose experiments' indicator did) are
        # marked and recomputed once, by one task per organisation.
        # A deleted indicator's experiments go with it: their hypotheses are recomputed too.
        from indicators.demo.parts import register_demo_part
        from indicators.hooks import register_indicators_changed, register_values_changed

        from . import tasks  # noqa: F401 - registers the periodic refresh in web processes too
        from .demo.load import load_demo_evidence
        from .hooks import evidence_on_indicators_changed, evidence_on_values_changed

        register_values_changed("cpi.evidence", evidence_on_values_changed)
        register_indicators_changed("cpi.evidence", evidence_on_indicators_changed)
        register_demo_part("cpi.evidence", load_demo_evidence)
