"""Core handles of the store's tables, for set-based queries.

The schema is declared once, in `models.py`; these are its `Table` objects under short
names (`tables.lead.c.stage`), for code that reads and writes columns rather than
objects: the reports, the marks, the bulk writers.
"""

from __future__ import annotations

from sqlalchemy import Table

from abs_cli.store import models

lead: Table = models.Lead.__table__  # type: ignore[attr-defined]
rep: Table = models.Rep.__table__  # type: ignore[attr-defined]
account: Table = models.Account.__table__  # type: ignore[attr-defined]
activity: Table = models.Activity.__table__  # type: ignore[attr-defined]
lead_score: Table = models.LeadScore.__table__  # type: ignore[attr-defined]
setting: Table = models.Setting.__table__  # type: ignore[attr-defined]
stage_history: Table = models.StageHistory.__table__  # type: ignore[attr-defined]
stage_stay: Table = models.StageStay.__table__  # type: ignore[attr-defined]
subscription: Table = models.Subscription.__table__  # type: ignore[attr-defined]
spend: Table = models.Spend.__table__  # type: ignore[attr-defined]
nps_response: Table = models.NpsResponse.__table__  # type: ignore[attr-defined]
usage_event: Table = models.UsageEvent.__table__  # type: ignore[attr-defined]
campaign_member: Table = models.CampaignMember.__table__  # type: ignore[attr-defined]
ticket: Table = models.Ticket.__table__  # type: ignore[attr-defined]
goal: Table = models.Goal.__table__  # type: ignore[attr-defined]
custom_field: Table = models.CustomField.__table__  # type: ignore[attr-defined]
lead_field_value: Table = models.LeadFieldValue.__table__  # type: ignore[attr-defined]
account_field_value: Table = models.AccountFieldValue.__table__  # type: ignore[attr-defined]
