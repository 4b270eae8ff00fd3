"""Core handles of the store's tables, for set-based queries.

The schema is declared once, in `models.py`; these are its `Table` objects under short
names (`tables.lead.c.stage`), for code that reads and writes columns rather than
objects: the reports, the marks, the bulk writers.
"""

from __future__ import annotations

from sqlalchemy import Table

from abs_cli.store import models

lead: Table = models.Lead.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ at runtime
rep: Table = models.Rep.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ at runtime
account: Table = models.Account.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ at runtime
activity: Table = models.Activity.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ at runtime
lead_score: Table = models.LeadScore.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ at runtime
setting: Table = models.Setting.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ at runtime
stage_history: Table = models.StageHistory.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ at runtime
stage_stay: Table = models.StageStay.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ at runtime
subscription: Table = models.Subscription.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ at runtime
spend: Table = models.Spend.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ at runtime
nps_response: Table = models.NpsResponse.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ at runtime
usage_event: Table = models.UsageEvent.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ at runtime
campaign_member: Table = models.CampaignMember.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ at runtime
ticket: Table = models.Ticket.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ at runtime
goal: Table = models.Goal.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ at runtime
routing_cursor: Table = models.RoutingCursor.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ at runtime
assignment_log: Table = models.AssignmentLog.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ at runtime
