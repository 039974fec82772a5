"""Pure computations for indicators: periods, aggregation, formulas, scoring and SPC.

Nothing in this package touches Django or the database, so it is tested with plain values and
reused by services, tasks, the API and charts.
"""
