from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScorecardConfig(AppConfig):
    name = "scorecard"
    verbose_name = _("Balanced scorecard")

    def ready(self):
        # Scores follow the values: after every recompute that changed values, the scorecards
        # that measure those indicators at their own period re-score the periods that changed.
        # A deleted indicator's measures go with it: the scorecards that had one are re-scored.
        from indicators.demo.parts import register_demo_part
        from indicators.hooks import register_indicators_changed, register_values_changed
        from outcomes.registry import register_objective_labels, register_objectives

        from . import tasks  # noqa: F401 - registers the periodic refresh in web processes too
        from .contributions import objective_labels
        from .demo.load import load_demo_scorecard
        from .hooks import scores_on_indicators_changed
        from .selectors import objectives_of_initiatives
        from .services.scores import scores_on_values_changed

        register_values_changed("scorecard.scores", scores_on_values_changed)
        register_indicators_changed("scorecard.scores", scores_on_indicators_changed)
        register_objectives("scorecard.objectives", objectives_of_initiatives)
        register_objective_labels("scorecard.objectives", objective_labels)
        register_demo_part("scorecard.scorecard", load_demo_scorecard)
