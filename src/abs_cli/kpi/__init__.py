"""The KPI engine: every metric of KPI.md, computed by set-based SQL over the store.

Modules follow KPI.md's sections: `revenue`, `pipeline`, `team`, `customers`;
`periods` parses months and ranges, `report` assembles the JSON document and
`checks` evaluates `abs kpi check` thresholds.
"""
