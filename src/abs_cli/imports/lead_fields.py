"""The columns of a leads file: the validated row (`LeadRow`), its column spec and the
fields stored on the lead, shared by both writers of `abs leads import` (the generic one
in `leads.py`, the set-based one in `bulk.py`)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationInfo

from abs_cli.domain import BUYING_ROLES
from abs_cli.imports.headers import ColumnSpec
from abs_cli.imports.values import (
    Count,
    Country,
    Domain,
    Email,
    Flag,
    Source,
    Stage,
    Text,
    UTCDate,
)


def _buying_role(value: Any, info: ValidationInfo) -> str:
    role = str(value).strip().lower().replace(" ", "_").replace("-", "_")
    if role not in BUYING_ROLES:
        raise ValueError(f"buying_role {value!r} is not one of {', '.join(BUYING_ROLES)}")
    return role


BuyingRole = Annotated[str, BeforeValidator(_buying_role)]


class LeadRow(BaseModel):
    """One row of a leads file (docs/domain.md §4)."""

    model_config = ConfigDict(extra="forbid")

    email: Email | None = None
    first_name: Annotated[str, Text(120)] | None = None
    last_name: Annotated[str, Text(120)] | None = None
    title: Annotated[str, Text(200)] | None = None
    phone: Annotated[str, Text(64)] | None = None
    company: Annotated[str, Text(200)] | None = None
    domain: Domain | None = None
    industry: Annotated[str, Text(120)] | None = None
    employees: Count | None = None
    country: Country | None = None
    source: Source | None = None
    campaign: Annotated[str, Text(200)] | None = None
    created_at: UTCDate | None = None
    consent: Flag | None = None
    owner: Annotated[str, Text(254)] | None = None
    stage: Stage | None = None
    buying_role: BuyingRole | None = None
    external_id: Annotated[str, Text(128)] | None = None


LEAD_SPEC = ColumnSpec(
    columns=tuple(LeadRow.model_fields),
    required=(("email", "external_id"),),
    aliases={
        "e-mail": "email",
        "email address": "email",
        "mail": "email",
        "firstname": "first_name",
        "given name": "first_name",
        "prenom": "first_name",
        "prénom": "first_name",
        "lastname": "last_name",
        "surname": "last_name",
        "family name": "last_name",
        "nom": "last_name",
        "job title": "title",
        "position": "title",
        "telephone": "phone",
        "phone number": "phone",
        "mobile": "phone",
        "company name": "company",
        "organization": "company",
        "organisation": "company",
        "account": "company",
        "societe": "company",
        "société": "company",
        "website": "domain",
        "company domain": "domain",
        "sector": "industry",
        "number of employees": "employees",
        "company size": "employees",
        "headcount": "employees",
        "country code": "country",
        "pays": "country",
        "lead source": "source",
        "origin": "source",
        "created": "created_at",
        "create date": "created_at",
        "created date": "created_at",
        "opt in": "consent",
        "optin": "consent",
        "gdpr consent": "consent",
        "lead owner": "owner",
        "owner email": "owner",
        "lifecycle stage": "stage",
        "status": "stage",
        "role in deal": "buying_role",
        "id": "external_id",
        "crm id": "external_id",
    },
)

STORED_FIELDS = (
    "email",
    "external_id",
    "first_name",
    "last_name",
    "title",
    "phone",
    "company",
    "industry",
    "employees",
    "country",
    "source",
    "campaign",
    "created_at",
    "consent",
    "stage",
    "buying_role",
)


def lead_key(values: dict[str, Any]) -> str:
    """A lead's key within a file: its e-mail, else its external id."""
    if "email" in values:
        email: str = values["email"]
        return email
    if "external_id" in values:
        external_id: str = values["external_id"]
        return "#" + external_id
    raise ValueError("email and external_id are both empty (one is required)")
