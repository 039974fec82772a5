"""The demo organisation: Nordic Mutual Insurance with 18 months of CPI and KPI data.

- `definitions.json`: the indicator definitions, as data (`definitions.py` dates them);
- `story.py`: `build_demo`, the generated measurements and the story they tell;
- `load.py`: `load_demo`, which replaces the organisation `demo` through the services;
- `parts.py`: the registry through which apps above add their demo data after the indicators.

Demo data of other apps (chain, scorecard, surveys) sits beside it in the same shape: data files
for definitions, code only for what is generated and for loading.
"""

from .load import API_KEY_NAME, LANGUAGE, NAME, PASSWORD, SLUG, USERS, LoadedDemo, load_demo
from .parts import register_demo_part, unregister_demo_part
from .story import CHANNELS, TIME_ZONE, Demo, build_demo

__all__ = [
    "API_KEY_NAME",
    "CHANNELS",
    "LANGUAGE",
    "NAME",
    "PASSWORD",
    "SLUG",
    "TIME_ZONE",
    "USERS",
    "Demo",
    "LoadedDemo",
    "build_demo",
    "load_demo",
    "register_demo_part",
    "unregister_demo_part",
]
