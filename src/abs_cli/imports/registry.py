"""Every importer by the name of the command group that offers it."""

from __future__ import annotations

from abs_cli.imports.accounts import ACCOUNTS, TEAM
from abs_cli.imports.enablement import CHECKLIST, FEEDBACK
from abs_cli.imports.engine import Importer
from abs_cli.imports.history import PIPELINE
from abs_cli.imports.leads import LEADS
from abs_cli.imports.records import ACTIVITIES, CAMPAIGNS, NPS, SPEND, SUBSCRIPTIONS, TICKETS, USAGE

IMPORTERS: dict[str, Importer] = {
    importer.name: importer
    for importer in (
        TEAM,
        LEADS,
        ACCOUNTS,
        ACTIVITIES,
        PIPELINE,
        SUBSCRIPTIONS,
        SPEND,
        NPS,
        USAGE,
        CAMPAIGNS,
        TICKETS,
        CHECKLIST,
        FEEDBACK,
    )
}
