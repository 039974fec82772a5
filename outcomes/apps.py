from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutcomesConfig(AppConfig):
    name = "outcomes"
    verbose_name = _("Results chain")

    def ready(self):
        # The chain's status follows the indicators' values: after every recompute that changed
        # values, the nodes those indicators measure (and the nodes above them) are refreshed.
        # So are they after an indicator is deleted or its stale grace changes (no new values).
        from indicators.hooks import register_indicators_changed, register_values_changed

        from . import tasks  # noqa: F401 - registers the periodic refresh in web processes too
        from .hooks import chain_on_indicators_changed
        from .services.status import refresh_on_values_changed

        register_values_changed("outcomes.chain_status", refresh_on_values_changed)
        register_indicators_changed("outcomes.chain_status", chain_on_indicators_changed)

        # The demo's results chain: `load_demo` loads it after the demo's indicators.
        from indicators.demo.parts import register_demo_part

        from .demo.load import load_demo_chain

        register_demo_part("outcomes.chain", load_demo_chain)
