"""`abs leads import`: people, their account, source, owner and stage.

A new lead enters the line with a stage-history row at its `created_at` (step 1, or the
file's `stage`); an existing lead whose file stage differs moves there, recorded as a
forced change by the import. One set-based writer does it on both databases
(`imports/bulk.py`).
"""

from __future__ import annotations

from typing import Any

from abs_cli.imports.engine import Importer, WriteContext
from abs_cli.imports.lead_fields import LEAD_SPEC, LeadRow, lead_key


def bulk_leads(context: WriteContext, *args: Any) -> Any:
    """The set-based writer of `abs leads import` (see `imports/bulk.py`)."""
    from abs_cli.imports.bulk import LeadBulkWriter

    return LeadBulkWriter(context, *args)


LEADS = Importer(
    name="leads",
    spec=LEAD_SPEC,
    model=LeadRow,
    key=lead_key,
    custom="lead",
    bulk=bulk_leads,
)
