"""The demo organisation's results chain: `chain.json` (the data) and `load.py` (the loading),
registered as a part of `load_demo` (`indicators.demo.parts`) from `OutcomesConfig.ready()`."""
