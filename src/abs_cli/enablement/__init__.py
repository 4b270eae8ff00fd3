"""Sales enablement: the playbook, checklists per lead, content, field feedback, ramp, and
their metrics (docs/domain.md §1.14)."""
