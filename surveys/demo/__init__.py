"""The surveys' demo: a customer relationship survey feeding the KPI `nps` per unit, and the
engagement survey with its customer-focus pack beside the units' NPS and operating margin.

- `story.py`: the generated responses and margins, plain values;
- `definitions.json`: the one indicator the surveys' demo adds (`operating_margin`);
- `load.py`: what `load_demo` calls (registered in `SurveysConfig.ready()`).
"""
