"""Core handles of the store's tables, for set-based queries.

The schema is declared once, in `models.py`; these are its `Table` objects under short
names (`tables.lead.c.stage`), for code that reads and writes columns rather than
objects: the reports, the marks, the bulk writers.
"""

from __future__ import annotations

from sqlalchemy import Table
from sqlmodel import SQLModel

from abs_cli.store import models


def _table(model: type[SQLModel]) -> Table:
    table: Table = model.__table__  # type: ignore[attr-defined]  # SQLModel sets it at runtime
    return table


lead: Table = _table(models.Lead)
rep: Table = _table(models.Rep)
account: Table = _table(models.Account)
activity: Table = _table(models.Activity)
lead_score: Table = _table(models.LeadScore)
setting: Table = _table(models.Setting)
stage_history: Table = _table(models.StageHistory)
stage_stay: Table = _table(models.StageStay)
subscription: Table = _table(models.Subscription)
spend: Table = _table(models.Spend)
nps_response: Table = _table(models.NpsResponse)
usage_event: Table = _table(models.UsageEvent)
campaign_member: Table = _table(models.CampaignMember)
ticket: Table = _table(models.Ticket)
goal: Table = _table(models.Goal)
routing_cursor: Table = _table(models.RoutingCursor)
assignment_log: Table = _table(models.AssignmentLog)
checklist_tick: Table = _table(models.ChecklistTick)
feedback: Table = _table(models.Feedback)
custom_field: Table = _table(models.CustomField)
lead_field_value: Table = _table(models.LeadFieldValue)
account_field_value: Table = _table(models.AccountFieldValue)
