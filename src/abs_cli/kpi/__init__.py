"""The KPI engine: every metric of docs/metrics.md, computed by set-based SQL over the store.

Modules follow the sections of docs/metrics.md: `revenue`, `funnel` (Pipeline), `team`,
`customers`; `goals` holds the team's targets, `periods` parses months and ranges,
`assumptions` the settings a report echoes, `rollups` the monthly aggregates, `report`
assembles the JSON document and `checks` evaluates `abs kpi check` thresholds.
"""
