"""Generate the example company's CSV files, seeded and deterministic (stdlib only).

    python -m abs_cli.demo.company --out FOLDER [--seed 7] [--anchor 2026-10-31]

`abs demo` generates the files at demo time into a temporary folder, so any install
(a wheel, pipx, uv tool) runs the demo with nothing but the package; `examples/company/`
in the repository holds the same bytes for people to read and import by hand.

Quillo, a small European B2B SaaS company, sells a sales-ops tool with an assembly line
of SDRs, IRs, AEs and Customer Success. The files cover the twelve months ending on the
anchor date (the last day of the last complete month), in the canonical formats of
docs/domain.md §4. The same seed and anchor always give the same bytes.

The simulation is lead-centric: each lead gets a hidden quality from its source, title
seniority, ABM tier and company fit; that quality drives qualification, every AE step
and the win, so scoring and its calibration have a real signal to find. Won accounts
get subscriptions with a lifecycle (trials, upgrades, downgrades, churn, a
reactivation); customers produce product usage, NPS answers and support tickets.
Enablement rides on top, from a random stream of its own (the rest stays as it was): the
playbook (the template's, with Quillo's owners and review dates), checklist ticks that
reps who move a lead forward complete more often, content used in activities, field
feedback, and each rep's start date.
"""

from __future__ import annotations

import argparse
import bisect
import csv
import math
import random
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path


def words(text: str, separator: str = " ") -> tuple[str, ...]:
    return tuple(text.split(separator))


COMPANY_DOMAIN = "quillo.io"
FAR = datetime(9999, 1, 1)

COLUMNS: dict[str, tuple[str, ...]] = {
    "team.csv": words("email name role territory capacity active started_at"),
    "accounts.csv": words("domain name industry employees country target_tier owner"),
    "leads.csv": words(
        "email first_name last_name title phone company domain industry employees "
        "country source campaign created_at consent owner stage buying_role external_id"
    ),
    "activities.csv": words(
        "lead_email type occurred_at rep_email outcome notes due_at content_id"
    ),
    "pipeline.csv": words("lead_email to_stage changed_at rep_email reason amount"),
    "subscriptions.csv": words("account started_at amount interval ended_at plan is_trial"),
    "spend.csv": words("month category amount channel"),
    "nps.csv": words("score responded_at email account comment"),
    "usage.csv": words("user occurred_at account feature"),
    "campaigns.csv": words("campaign lead_email sent_at responded_at"),
    "tickets.csv": words("account opened_at type severity closed_at"),
    "checklist.csv": words("lead_email item checked_at rep_email"),
    "feedback.csv": words("stage tag body rep_email created_at"),
}
"""Every file written, with its columns in docs/domain.md §4's order."""

# --- the team ------------------------------------------------------------------------

TEAM: tuple[tuple[str, str, str, int | None, bool], ...] = (
    ("Claire Dubois", "manager", "", None, True),
    ("Tom Becker", "enablement", "", None, True),
    ("Lucas Martin", "sdr", "FR;BE;LU", 400, True),
    ("Sophie Wagner", "sdr", "DE;NL;AT;CH", 400, True),
    ("Oliver Hughes", "sdr", "GB;US;ES;IT", 400, True),
    ("Ben Visser", "sdr", "DE;NL;AT;CH", 400, False),
    ("Camille Roux", "ir", "FR;BE;LU;ES;IT", 500, True),
    ("Hannah Klein", "ir", "DE;NL;AT;CH;GB;US", 500, True),
    ("Julien Moreau", "ae", "FR;BE;LU;ES;IT", 60, True),
    ("Katrin Vogel", "ae", "DE;NL;AT;CH", 60, True),
    ("James Carter", "ae", "GB;US", 60, True),
    ("Léa Fontaine", "cs", "FR;BE;LU;ES;IT", 90, True),
    ("Pieter de Vries", "cs", "DE;NL;AT;CH;GB;US", 90, True),
)
"""Name, role, territory, capacity, active. Ben Visser left; Sophie Wagner took over."""
STARTED_MONTHS: dict[str, int] = {"Claire Dubois": -14, "Tom Becker": -3, "Sophie Wagner": 5}
"""Start dates in months from the first month covered; the others started with it."""

# --- enablement ----------------------------------------------------------------------

TEMPLATE_PLAYBOOK = Path(__file__).resolve().parents[1] / "enablement" / "default.toml"
REVIEW_DAYS: tuple[int, ...] = (75, -20, 120, 40, -45, 150, 90)
"""Each content piece's review date, in days from the anchor, in the template's order:
two are overdue."""
RAMP_TARGETS: dict[str, tuple[int, int, int]] = {
    "sdr": (90, 200, 320),
    "ir": (60, 140, 220),
    "ae": (100, 220, 340),
    "cs": (15, 35, 55),
}
"""Activities expected by day 30, 60 and 90 of a rep's ramp, in Quillo's playbook."""
TICK_CHANCE = {"forward": 0.85, "exit": 0.45, "open": 0.55}
"""How often an item of a step is ticked: leads moved on, leads lost, leads still there."""
FEEDBACK_NOTES: dict[tuple[str, str], tuple[str, ...]] = {
    ("prospect", "data-quality"): ("Bounced e-mails on the purchased list", "Wrong titles"),
    ("qualified", "pricing"): ("Too expensive for a team of five", "Wants monthly billing"),
    ("qualified", "timing"): ("Budget only next fiscal year", "Busy with a reorganisation"),
    ("demo", "missing-feature"): ("Asked for a Salesforce sync", "Wants a mobile app"),
    ("demo", "integration"): ("Needs SSO with Okta", "Asked about the HubSpot connector"),
    ("proposal", "pricing"): ("Per-seat price above the competition", "Wants a pilot price"),
    ("negotiation", "pricing"): ("Annual prepay is a blocker", "Procurement asks for 20% off"),
    ("negotiation", "legal"): ("DPA redlines take weeks", "Asks for EU-only hosting"),
    ("negotiation", "competitor"): ("Competitor offered three months free", "Lost to a bundle"),
    ("customer", "onboarding"): ("Kickoff slipped twice", "Import of old data was hard"),
}
FEEDBACK_RATE = {"pricing": 4.0, "legal": 1.5, "competitor": 1.5}
"""Notes a month per step and tag (default 1); pricing notes grow over the year."""

# --- companies and people ------------------------------------------------------------

COUNTRIES: tuple[tuple[str, float], ...] = (
    ("FR", 0.30),
    ("DE", 0.18),
    ("GB", 0.12),
    ("BE", 0.08),
    ("NL", 0.08),
    ("ES", 0.08),
    ("US", 0.07),
    ("CH", 0.03),
    ("IT", 0.03),
    ("AT", 0.02),
    ("LU", 0.01),
)
CORE_COUNTRIES = ("FR", "BE", "DE", "NL", "LU")
TLD = {
    "FR": ".fr",
    "DE": ".de",
    "GB": ".co.uk",
    "BE": ".be",
    "NL": ".nl",
    "ES": ".es",
    "US": ".com",
    "CH": ".ch",
    "IT": ".it",
    "AT": ".at",
    "LU": ".lu",
}
LEGAL_FORM = {
    "FR": ("SAS", "SA", ""),
    "DE": ("GmbH", "AG", ""),
    "GB": ("Ltd", "plc", ""),
    "BE": ("SA", "NV", "SRL"),
    "NL": ("BV", "NV", ""),
    "ES": ("S.L.", "S.A.", ""),
    "US": ("Inc.", "LLC", ""),
    "CH": ("AG", "SA", ""),
    "IT": ("S.r.l.", "S.p.A.", ""),
    "AT": ("GmbH", ""),
    "LU": ("S.A.", "S.à r.l."),
}
PHONE_PREFIX = {
    "FR": "+33 6",
    "DE": "+49 151",
    "GB": "+44 7700",
    "BE": "+32 470",
    "NL": "+31 6",
    "ES": "+34 612",
    "US": "+1 415",
    "CH": "+41 79",
    "IT": "+39 347",
    "AT": "+43 664",
    "LU": "+352 621",
}
NAME_STEMS = words(
    "Alto Brio Cobal Delta Elan Fjord Grain Helio Indigo Jade Kontor Lumen Maré Nordic "
    "Orbi Pivot Quartz Rivet Solen Terra Ultra Vela Wolke Xeno Yonder Zephyr Arden Bastide "
    "Calypso Dune Ember Flux Garance Hexa Isola Kinetic Lys Mistral Nova Opale"
)
NAME_TAILS = words(
    "werk soft logic data link ware labs gate flow line "
    "tech mind way port net form cloud scale base hub"
)
INDUSTRIES: tuple[tuple[str, float], ...] = (
    ("Software", 0.22),
    ("Financial Services", 0.12),
    ("Consulting", 0.10),
    ("Manufacturing", 0.11),
    ("Retail", 0.09),
    ("Logistics", 0.08),
    ("Healthcare", 0.07),
    ("Media", 0.06),
    ("Education", 0.05),
    ("Telecommunications", 0.05),
    ("Real Estate", 0.05),
)
ICP_INDUSTRIES = ("Software", "Financial Services", "Consulting", "Telecommunications")


FIRST_NAMES = {
    "fr": words(
        "Antoine Camille Chloé Élodie Guillaume Hugo Inès Julie Louis Manon Mathieu "
        "Nathalie Nicolas Pauline Pierre Sandrine Thomas Valérie Vincent Zoé Amélie "
        "Baptiste Céline Damien Émilie François Laure Marc Océane Sébastien"
    ),
    "de": words(
        "Anna Andreas Christian Claudia Daniel Eva Felix Jan Jana Jonas Julia Katharina "
        "Lena Lukas Markus Michael Nina Paul Sabine Stefan Tobias Ursula Jürgen Marie"
    ),
    "nl": words("Bram Daan Eva Fleur Jesse Lotte Maarten Noor Ruben Sanne Thijs Anouk Joost Iris"),
    "es": words("Alejandro Carmen Diego Elena Javier Laura Lucía Marta Pablo Sergio Sofía Raúl"),
    "it": words("Alessandro Chiara Francesca Giulia Luca Marco Matteo Sara Simone Valentina"),
    "en": words(
        "Amelia Charlotte Daniel Emily George Grace Harry Jack James Jessica Liam Lucy "
        "Michael Olivia Oscar Sarah Sophie William Emma Noah Ethan Ava Mason Chloe"
    ),
}
LAST_NAMES = {
    "fr": words(
        "Bernard Dubois Durand Fournier Garnier Girard Lambert Laurent Lefebvre Leroy "
        "Martin Mercier Michel Moreau Morel Petit Richard Robert Rousseau Simon Thomas "
        "Faure André Bonnet Chevalier Gauthier Perrin Renaud Vidal"
    ),
    "de": words(
        "Bauer Becker Fischer Hoffmann Koch Krüger Lange Meyer Müller Neumann Richter "
        "Schäfer Schmidt Schneider Schulz Schwarz Wagner Weber Wolf Zimmermann"
    ),
    "nl": words(
        "Bakker,de Boer,de Jong,Dekker,Jansen,Meijer,Mulder,Peters,Smit,Visser,van Dijk,Vos", ","
    ),
    "es": words("García Fernández González López Martínez Pérez Rodríguez Sánchez Romero Navarro"),
    "it": words("Bianchi Colombo Conti Esposito Ferrari Greco Romano Ricci Rossi Russo"),
    "en": words(
        "Brown Clarke Davies Evans Green Hall Harris Hughes Jackson Johnson Jones Lewis "
        "Miller Moore Smith Taylor Thompson Walker White Wilson Wright Young"
    ),
}
LANGUAGE = {
    "FR": "fr",
    "BE": "fr",
    "LU": "fr",
    "DE": "de",
    "AT": "de",
    "CH": "de",
    "NL": "nl",
    "ES": "es",
    "IT": "it",
    "GB": "en",
    "US": "en",
}
FREEMAIL = ("gmail.com", "outlook.com", "yahoo.fr", "gmx.de", "hotmail.co.uk")

# Titles by seniority level: c_level, vp, manager, staff, junior.
TITLES = {
    "fr": {
        "c_level": ("PDG", "Directeur général", "Directrice générale", "DAF", "Fondateur"),
        "vp": ("Directeur commercial", "Directrice commerciale", "Directrice marketing"),
        "manager": ("Responsable marketing", "Responsable des ventes", "Responsable ADV"),
        "staff": ("Chargé d'affaires", "Commercial sédentaire", "Chargée de marketing"),
        "junior": ("Stagiaire", "Étudiant", "Alternante marketing"),
    },
    "de": {
        "c_level": ("Geschäftsführer", "Geschäftsführerin", "CEO", "CFO"),
        "vp": ("Vertriebsleiter", "Leiterin Marketing", "Head of Sales"),
        "manager": ("Teamleiter Vertrieb", "Marketing Manager", "Sales Operations Manager"),
        "staff": ("Vertriebsmitarbeiter", "Account Manager", "Marketing Specialist"),
        "junior": ("Werkstudent", "Praktikantin"),
    },
    "es": {
        "c_level": ("Director General", "CEO", "Fundador"),
        "vp": ("Director Comercial", "Directora de Marketing"),
        "manager": ("Jefe de Ventas", "Responsable de Marketing"),
        "staff": ("Ejecutivo de Cuentas", "Comercial"),
        "junior": ("Becario",),
    },
    "en": {
        "c_level": ("CEO", "Founder", "COO", "Chief Revenue Officer", "CFO"),
        "vp": ("VP Sales", "VP Marketing", "Head of Sales", "Head of Revenue Operations"),
        "manager": ("Sales Manager", "Marketing Manager", "Sales Operations Manager"),
        "staff": ("Account Executive", "Business Developer", "Marketing Specialist", "Analyst"),
        "junior": ("Intern", "Student", "Sales Trainee"),
    },
}
TITLE_LANGUAGE = {"fr": "fr", "de": "de", "es": "es", "nl": "en", "it": "en", "en": "en"}
SENIORITY: tuple[tuple[str, float, float], ...] = (
    ("c_level", 0.14, 0.6),
    ("vp", 0.18, 0.8),
    ("manager", 0.30, 0.3),
    ("staff", 0.30, -0.3),
    ("junior", 0.08, -1.6),
)
"""Level, share of leads, effect on the lead's quality."""

# --- sources, campaigns and the pipeline ---------------------------------------------

SOURCES: tuple[tuple[str, float, float], ...] = (
    ("demo_request", 0.09, 1.3),
    ("content_download", 0.17, -0.4),
    ("webinar", 0.08, 0.1),
    ("trial_signup", 0.08, 0.7),
    ("contact_form", 0.06, 0.5),
    ("event", 0.05, 0.2),
    ("outbound_list", 0.20, -0.2),
    ("cold_call", 0.07, -0.5),
    ("purchased_list", 0.12, -0.9),
    ("social_selling", 0.08, 0.0),
)
"""Source, share of new leads, effect on quality. Referrals come from customers."""
SOURCE_EFFECT = {name: effect for name, _, effect in SOURCES} | {"referral": 1.6}
INBOUND = ("demo_request", "content_download", "webinar", "trial_signup", "contact_form", "event")
FIRST_TOUCH_MINUTES = {
    "demo_request": 25,
    "trial_signup": 60,
    "contact_form": 120,
    "content_download": 900,
    "webinar": 1200,
    "event": 2400,
    "referral": 600,
}
"""Median minutes from an inbound lead's capture to the IR's first call or e-mail."""
SOURCE_TOUCH = {
    "demo_request": "demo_request",
    "content_download": "content_download",
    "webinar": "webinar",
    "trial_signup": "form_submit",
    "contact_form": "form_submit",
    "event": "form_submit",
}
TIER_EFFECT = {1: 1.3, 2: 1.0, 3: 0.7}

PLANS: tuple[tuple[str, Decimal], ...] = (
    ("starter", Decimal("290")),
    ("growth", Decimal("790")),
    ("scale", Decimal("1990")),
    ("enterprise", Decimal("4500")),
)
"""Plan and monthly list price (EUR). An annual plan costs ten months."""
USERS_PER_PLAN = (2, 4, 7, 11)

LOST_REASONS = (
    ("price too high", 0.24),
    ("chose a competitor: HubSpot", 0.14),
    ("chose a competitor: Salesforce", 0.10),
    ("no budget this year", 0.16),
    ("no decision", 0.18),
    ("timing: project postponed", 0.10),
    ("missing feature: ERP integration", 0.08),
)
DISQUALIFY_REASONS = (
    ("no need", 0.28),
    ("unreachable after sequence", 0.30),
    ("company too small", 0.14),
    ("not the decision maker", 0.14),
    ("already equipped, contract until next year", 0.14),
)
CHURN_REASONS = ("budget cuts", "moved to a competitor", "low adoption", "company acquired")
NPS_COMMENTS = {
    "promoter": (
        "The pipeline board changed how our team works.",
        "Super outil, l'équipe l'utilise tous les jours.",
        "Great support and the KPI report saves me hours.",
        "Einfach und schnell, genau was wir brauchten.",
    ),
    "passive": (
        "Good product, reporting could be more flexible.",
        "Bien, mais l'import CSV est parfois pénible.",
        "Works well; we miss an ERP integration.",
    ),
    "detractor": (
        "Too expensive for what we use.",
        "Trop de bugs depuis la dernière version.",
        "Onboarding was slow and adoption stayed low.",
        "Support takes days to answer.",
    ),
}
FEATURES: tuple[tuple[str, float], ...] = (
    ("pipeline_board", 0.30),
    ("dashboard", 0.22),
    ("lead_import", 0.10),
    ("scoring", 0.12),
    ("reports", 0.12),
    ("routing_rules", 0.06),
    ("kpi_export", 0.05),
    ("api", 0.03),
)
TICKET_TYPES = (("question", 0.45), ("request", 0.25), ("bug", 0.22), ("incident", 0.08))
SEVERITIES = {
    "question": (("low", 0.8), ("medium", 0.2)),
    "request": (("low", 0.6), ("medium", 0.4)),
    "bug": (("low", 0.3), ("medium", 0.45), ("high", 0.25)),
    "incident": (("medium", 0.3), ("high", 0.5), ("critical", 0.2)),
}


# --- model ---------------------------------------------------------------------------


@dataclass
class Rep:
    email: str
    name: str
    role: str
    territory: tuple[str, ...]
    capacity: int | None
    active: bool
    left_at: datetime | None = None
    started: datetime | None = None


@dataclass
class Company:
    domain: str
    name: str
    industry: str
    employees: int
    country: str
    tier: int | None = None
    owner: Rep | None = None
    busy: list[tuple[datetime, datetime]] = field(default_factory=list)
    """Intervals with an open deal or a paying subscription: one deal at a time."""
    customer_lead: Lead | None = None
    subscriptions: list[Subscription] = field(default_factory=list)
    health: float = 0.0

    def is_free(self, start: datetime, end: datetime) -> bool:
        return all(end <= busy_start or start >= busy_end for busy_start, busy_end in self.busy)


@dataclass
class Lead:
    email: str
    first_name: str
    last_name: str
    title: str
    seniority: str
    phone: str
    company: Company | None
    company_name: str
    source: str
    campaign: str
    created_at: datetime
    consent: str
    external_id: str
    owner: Rep
    buying_role: str = ""
    quality: float = 0.0
    stage: str = "prospect"
    history: list[tuple[str, datetime, Rep, str, Decimal | None]] = field(default_factory=list)

    def move(
        self, stage: str, when: datetime, rep: Rep, reason: str = "", amount: Decimal | None = None
    ) -> None:
        self.history.append((stage, when, rep, reason, amount))
        self.stage = stage


@dataclass
class Subscription:
    company: Company
    plan: str
    started_at: datetime
    ended_at: datetime | None
    amount: Decimal
    interval: str
    is_trial: bool = False


@dataclass
class Activity:
    lead: Lead
    type: str
    occurred_at: datetime
    rep: Rep | None
    outcome: str = ""
    notes: str = ""
    due_at: datetime | None = None
    content: str = ""


# --- helpers -------------------------------------------------------------------------


def weighted(rng: random.Random, pairs: Sequence[tuple], index: int = 1):  # type: ignore[no-untyped-def]
    """Pick the first element of one of `pairs`, weighted by the element at `index`."""
    return rng.choices(pairs, weights=[pair[index] for pair in pairs])[0][0]


def sigmoid(value: float) -> float:
    return 1 / (1 + math.exp(-value))


def add_months(day: date, months: int) -> date:
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    last_day = [31, 29 if year % 4 == 0 else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month]
    return date(year, month + 1, min(day.day, last_day))


def at_work_hours(
    rng: random.Random, day: date, start_hour: int = 7, end_hour: int = 17
) -> datetime:
    """A time on `day` during European office hours (UTC)."""
    seconds = rng.randrange(start_hour * 3600, end_hour * 3600)
    return datetime.combine(day, time()) + timedelta(seconds=seconds)


def next_workday(moment: datetime) -> datetime:
    while moment.weekday() >= 5:
        moment += timedelta(days=1)
    return moment


def days_later(rng: random.Random, moment: datetime, low: float, high: float) -> datetime:
    """A working-hours moment `low`..`high` days after `moment`."""
    later = moment + timedelta(days=rng.uniform(low, high))
    later = next_workday(later)
    hour = later.hour + later.minute / 60
    if not 7 <= hour < 18:
        later = at_work_hours(rng, later.date() + timedelta(days=1 if hour >= 18 else 0))
        later = next_workday(later)
    return later


def poisson(rng: random.Random, mean: float) -> int:
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def ascii_slug(text: str) -> str:
    table = str.maketrans("àâäáçéèêëíîïñóôöúùûüßÿ", "aaaaceeeeiiinooouuuusy")
    cleaned = text.lower().translate(table).replace("ß", "ss")
    return "".join(char for char in cleaned if char.isalnum() or char == "-")


def money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def stamp(moment: datetime | None) -> str:
    return "" if moment is None else moment.isoformat(timespec="seconds")


def day_stamp(moment: datetime | None) -> str:
    return "" if moment is None else moment.date().isoformat()


# --- the simulation ------------------------------------------------------------------


class Generator:
    """Builds the whole company in memory, then writes its files."""

    def __init__(self, seed: int, anchor: date) -> None:
        self.rng = random.Random(seed)
        self.seed = seed
        self.anchor = anchor
        self.start = datetime.combine(add_months(anchor.replace(day=1), -11), time())
        self.end = datetime.combine(anchor + timedelta(days=1), time())
        self.reps: list[Rep] = []
        self.companies: list[Company] = []
        self.leads: list[Lead] = []
        self.activities: list[Activity] = []
        self.emails: set[str] = set()
        self.campaign_rows: list[tuple[str, Lead, datetime, datetime | None]] = []
        self.playbook_text = ""
        self.checklist_rows: list[tuple[str, str, datetime, str]] = []
        self.feedback_rows: list[tuple[str, str, str, str, datetime]] = []

    # people and companies

    def build_team(self) -> None:
        for name, role, territory, capacity, active in TEAM:
            first, last = name.split(" ", 1)
            email = f"{ascii_slug(first)}.{ascii_slug(last.replace(' ', ''))}@{COMPANY_DOMAIN}"
            rep = Rep(
                email,
                name,
                role,
                tuple(territory.split(";")) if territory else (),
                capacity,
                active,
            )
            if not active:
                rep.left_at = datetime.combine(add_months(self.start.date(), 5), time())
            offset = STARTED_MONTHS.get(name, 0)
            rep.started = datetime.combine(add_months(self.start.date(), offset), time())
            self.reps.append(rep)

    def reps_of(self, role: str, country: str, when: datetime) -> list[Rep]:
        working = [
            rep
            for rep in self.reps
            if rep.role == role and (rep.left_at is None or rep.left_at > when)
        ]
        if role == "sdr":  # Sophie Wagner joined when Ben Visser left
            joined = datetime.combine(add_months(self.start.date(), 5), time())
            if when < joined:
                working = [rep for rep in working if rep.name != "Sophie Wagner"]
        local = [rep for rep in working if country in rep.territory]
        return local or working

    def pick_rep(self, role: str, country: str, when: datetime) -> Rep:
        return self.rng.choice(self.reps_of(role, country, when))

    def build_companies(self, count: int) -> None:
        used: set[str] = set()
        rng = self.rng
        while len(self.companies) < count:
            country = weighted(rng, COUNTRIES)
            stem, tail = rng.choice(NAME_STEMS), rng.choice(NAME_TAILS)
            base = stem + tail
            domain = ascii_slug(base) + TLD[country]
            if domain in used:
                continue
            used.add(domain)
            form = rng.choice(LEGAL_FORM[country])
            name = f"{base} {form}".strip()
            employees = int(min(20000, max(3, math.exp(rng.gauss(4.6, 1.3)))))
            self.companies.append(
                Company(domain, name, weighted(rng, INDUSTRIES), employees, country)
            )
        for company in self.companies:
            company.health = rng.gauss(0, 1)
        by_size = sorted(self.companies, key=lambda company: -company.employees)
        candidates = [company for company in by_size if company.employees >= 80][:90]
        for company in rng.sample(candidates, 45):
            company.tier = 1 if company.employees >= 1000 else rng.choice((2, 2, 3, 3, 3))
            company.owner = self.pick_rep("ae", company.country, self.start)

    def new_person(self, country: str, domain: str | None) -> tuple[str, str, str]:
        language = LANGUAGE[country]
        rng = self.rng
        while True:
            first = rng.choice(FIRST_NAMES[language])
            last = rng.choice(LAST_NAMES[language])
            host = domain or rng.choice(FREEMAIL)
            local = f"{ascii_slug(first)}.{ascii_slug(last.replace(' ', ''))}"
            if domain is None:
                local += str(rng.randrange(10, 99))
            email = f"{local}@{host}"
            if email not in self.emails:
                self.emails.add(email)
                return first, last, email

    def phone(self, country: str) -> str:
        if self.rng.random() < 0.25:
            return ""
        digits = "".join(str(self.rng.randrange(10)) for _ in range(6))
        return f"{PHONE_PREFIX[country]} {digits[:2]} {digits[2:4]} {digits[4:]}"

    def title(self, country: str, seniority: str) -> str:
        language = TITLE_LANGUAGE[LANGUAGE[country]]
        if language != "en" and self.rng.random() < 0.25:
            language = "en"  # English titles are common everywhere
        return self.rng.choice(TITLES[language][seniority])

    def make_lead(
        self,
        company: Company | None,
        source: str,
        created_at: datetime,
        *,
        seniority: str | None = None,
    ) -> Lead:
        rng = self.rng
        country = company.country if company else weighted(rng, COUNTRIES)
        level = seniority or weighted(rng, SENIORITY)
        first, last, email = self.new_person(country, company.domain if company else None)
        inbound = source in INBOUND
        role = "ir" if inbound else "sdr"
        owner = self.pick_rep(role, country, created_at)
        consent_draw = rng.random()
        if inbound or source == "referral":
            consent = "true" if consent_draw < 0.85 else "false"
        else:
            consent = "true" if consent_draw < 0.3 else ("false" if consent_draw < 0.6 else "")
        lead = Lead(
            email=email,
            first_name=first,
            last_name=last,
            title=self.title(country, level),
            seniority=level,
            phone=self.phone(country),
            company=company,
            company_name=company.name if company else ("" if rng.random() < 0.5 else "Freelance"),
            source=source,
            campaign=self.inbound_campaign(source, created_at),
            created_at=created_at,
            consent=consent,
            external_id=f"CRM-{100000 + len(self.leads)}",
            owner=owner,
        )
        lead.quality = self.quality(lead)
        if company is not None and company.tier is not None:
            lead.buying_role = self.buying_role(level)
        self.leads.append(lead)
        return lead

    def buying_role(self, level: str) -> str:
        choices = {
            "c_level": (("decision_maker", 0.75), ("blocker", 0.25)),
            "vp": (("decision_maker", 0.4), ("champion", 0.5), ("blocker", 0.1)),
            "manager": (("champion", 0.45), ("influencer", 0.45), ("blocker", 0.1)),
            "staff": (("user", 0.6), ("influencer", 0.4)),
            "junior": (("user", 1.0),),
        }[level]
        return str(weighted(self.rng, choices))

    def quality(self, lead: Lead) -> float:
        """The hidden propensity to buy that every pipeline step of this lead draws on."""
        value = SOURCE_EFFECT[lead.source]
        value += dict((name, effect) for name, _, effect in SENIORITY)[lead.seniority]
        company = lead.company
        if company is None:
            value -= 1.0
        else:
            value += TIER_EFFECT.get(company.tier or 0, 0.0)
            value += 0.35 if company.industry in ICP_INDUSTRIES else -0.1
            value += 0.3 if 40 <= company.employees <= 3000 else -0.3
            value += 0.15 if company.country in CORE_COUNTRIES else 0.0
        return value + self.rng.gauss(0, 0.7)

    def inbound_campaign(self, source: str, created_at: datetime) -> str:
        month = created_at.strftime("%Y-%m")
        quarter = f"{created_at.year}-q{(created_at.month - 1) // 3 + 1}"
        if source == "demo_request":
            return self.rng.choice(("google-ads-demo", "linkedin-ads-demo", ""))
        if source == "trial_signup":
            return "google-ads-trial"
        if source == "content_download":
            return self.rng.choice(("ebook-sales-playbook", "whitepaper-abm-guide", "kpi-template"))
        if source == "webinar":
            return f"webinar-{month}"
        if source == "event":
            return f"event-{quarter}"
        if source in ("outbound_list", "cold_call", "purchased_list", "social_selling"):
            return f"outbound-{quarter}"
        return ""

    def lead_times(self, count: int) -> list[datetime]:
        """Creation moments over the window, growing ~4 % a month, mostly on workdays."""
        rng = self.rng
        days = (self.end - self.start).days
        weights = []
        for offset in range(days):
            day = self.start + timedelta(days=offset)
            weekday = 1.0 if day.weekday() < 5 else 0.18
            weights.append(weekday * (1 + 0.04 * offset / 30.4))
        times = []
        for offset in rng.choices(range(days), weights=weights, k=count):
            times.append(at_work_hours(rng, (self.start + timedelta(days=offset)).date(), 6, 20))
        return sorted(times)

    # the pipeline

    def touch(
        self,
        lead: Lead,
        kind: str,
        when: datetime,
        rep: Rep | None,
        outcome: str = "",
        notes: str = "",
        due_at: datetime | None = None,
    ) -> None:
        if when < self.end:
            self.activities.append(Activity(lead, kind, when, rep, outcome, notes, due_at))

    def prospecting(self, lead: Lead) -> datetime | None:
        """The SDR's or IR's sequence; returns when the lead was reached (None: never)."""
        rng = self.rng
        rep = lead.owner
        when = lead.created_at
        if lead.source in SOURCE_TOUCH:
            self.touch(lead, SOURCE_TOUCH[lead.source], when, None)
            for _ in range(rng.randrange(0, 3)):
                self.touch(lead, "web_visit", when + timedelta(days=rng.uniform(0.2, 20)), None)
        if lead.source in FIRST_TOUCH_MINUTES:
            if rng.random() < 0.06:
                return None  # an inbound lead nobody called: speed-to-lead shows it
            median = FIRST_TOUCH_MINUTES[lead.source]
            when = when + timedelta(minutes=max(1.0, math.exp(rng.gauss(math.log(median), 0.9))))
        else:
            when = days_later(rng, when, 0.1, 3)
        attempts = rng.randrange(2, 8)
        reached = None
        for attempt in range(attempts):
            kind = rng.choices(("call", "email", "social"), weights=(5, 4, 1 if attempt else 0))[0]
            replied = rng.random() < sigmoid(lead.quality - 0.8 + 0.25 * attempt)
            if kind == "call":
                outcome = "connected" if replied else rng.choice(("no_answer", "voicemail"))
            elif kind == "email":
                if "@" not in lead.email or (attempt == 0 and rng.random() < 0.03):
                    self.touch(lead, kind, when, rep, "bounced")
                    return None
                outcome = "replied" if replied else "sent"
            else:
                outcome = "replied" if replied else "connection_sent"
            self.touch(lead, kind, when, rep, outcome)
            if kind == "email" and rng.random() < 0.5:
                self.touch(
                    lead, "email_open", when + timedelta(minutes=rng.randrange(3, 600)), None
                )
            if replied:
                reached = when
                break
            when = days_later(rng, when, 1, 5)
        return reached

    def walk(self, lead: Lead) -> None:
        """Walk one lead down the line; it stops where the anchor date cuts it."""
        rng = self.rng
        company = lead.company
        lead.move("prospect", lead.created_at, lead.owner)
        reached = self.prospecting(lead)
        qualifies = (
            reached is not None
            and company is not None
            and rng.random() < sigmoid(lead.quality - 0.05)
        )
        if not qualifies:
            if rng.random() < 0.55:
                when = days_later(rng, reached or lead.created_at, 4, 40)
                reason = weighted(rng, DISQUALIFY_REASONS)
                if lead.seniority == "junior":
                    reason = "student or intern, not a buyer"
                elif company is None:
                    reason = "no company identified (freemail)"
                elif company.employees < 15:
                    reason = "company too small"
                if when < self.end:
                    lead.move("disqualified", when, lead.owner, reason)
                    self.touch(lead, "note", when, lead.owner, "", f"disqualified: {reason}")
            return
        assert reached is not None and company is not None
        qualified_at = days_later(rng, reached, 0, 3)
        if qualified_at >= self.end:
            return
        # A former customer with no open deal comes back as a win-back deal.
        win_back = company.customer_lead is not None and company.is_free(qualified_at, qualified_at)
        if not win_back and not company.is_free(qualified_at, qualified_at + timedelta(days=1)):
            reason = (
                "existing customer, handed to CS"
                if company.customer_lead is not None
                else "duplicate: the account already has an open deal"
            )
            lead.move("disqualified", qualified_at, lead.owner, reason)
            return
        self.touch(lead, "call", qualified_at, lead.owner, "connected", "meeting booked with AE")
        lead.move("qualified", qualified_at, lead.owner)
        ae = company.owner
        if ae is None or ae.role != "ae":
            ae = self.pick_rep("ae", company.country, qualified_at)
        discovery_at = days_later(rng, qualified_at, 2, 9)
        if discovery_at >= self.end:
            self.touch(
                lead,
                "meeting",
                qualified_at,
                ae,
                "",
                "discovery meeting planned",
                due_at=discovery_at,
            )
            return
        if rng.random() < 0.14:
            lead.move("disqualified", discovery_at, lead.owner, "no-show at the discovery meeting")
            return
        plan_index, interval, discount = self.deal_terms(company)
        events = self.deal_events(lead, discovery_at, plan_index, interval, discount)
        outcome_stage, outcome_at = events[-1][0], events[-1][1]
        busy_end = outcome_at if outcome_stage == "lost" else FAR
        if not company.is_free(discovery_at, busy_end):
            lead.move(
                "disqualified",
                discovery_at,
                lead.owner,
                "duplicate: the account already has an open deal",
            )
            return
        lead.owner = ae
        for stage, when, amount, reason in events:
            self.play(lead, stage, when, ae, amount, reason)
        if lead.stage == "customer":
            company.busy.append((discovery_at, outcome_at))
            self.onboard(lead, outcome_at, plan_index, interval, discount)
        else:
            company.busy.append((discovery_at, busy_end))

    def deal_terms(self, company: Company) -> tuple[int, str, Decimal]:
        rng = self.rng
        size = company.employees
        plan = 0 if size < 50 else 1 if size < 250 else 2 if size < 1000 else 3
        if rng.random() < 0.2:
            plan = min(3, max(0, plan + rng.choice((-1, 1))))
        interval_draw = rng.random() + (0.2 if plan >= 2 else 0)
        interval = (
            "year" if interval_draw > 0.68 else "quarter" if interval_draw > 0.62 else "month"
        )
        discount = Decimal(rng.choice((0, 0, 5, 10, 15))) / 100
        return plan, interval, discount

    def deal_events(
        self, lead: Lead, start: datetime, plan: int, interval: str, discount: Decimal
    ) -> list[tuple[str, datetime, Decimal | None, str]]:
        """The AE's steps of one deal: (stage, when, amount, reason), ending in a win, a
        loss, or wherever the anchor date (or a stall) leaves it open."""
        rng = self.rng
        list_value = PLANS[plan][1] * 12
        estimate = (list_value * Decimal(str(round(rng.uniform(0.7, 1.4), 2)))).quantize(
            Decimal("100")
        )
        offered = contract_value(plan, interval, Decimal(0))
        contract = contract_value(plan, interval, discount)
        plan_steps = [
            ("discovery", 0.0, 0.0, estimate, 0.9),
            ("demo", 3, 12, estimate, 0.85),
            ("proposal", 3, 14, offered, 0.55),
            ("negotiation", 4, 18, contract, 0.75),
            ("customer", 5, 25, contract, 0.75),
        ]
        events: list[tuple[str, datetime, Decimal | None, str]] = []
        # Who asked for a demo keeps buying, and an ABM target has the whole team on it.
        intent = 0.5 * SOURCE_EFFECT[lead.source] + (
            0.5 if lead.company is not None and lead.company.tier else 0.0
        )
        when = start
        for index, (stage, low, high, amount, bias) in enumerate(plan_steps):
            if index:
                if rng.random() < 0.05:
                    return events  # a stalled deal nobody closed
                when = days_later(rng, when, low, high)
                if when >= self.end:
                    return events
                if rng.random() > sigmoid(lead.quality * 0.9 + intent + bias - 1.1):
                    events.append(("lost", when, None, weighted(rng, LOST_REASONS)))
                    return events
                if stage == "demo" and rng.random() < 0.06:
                    continue  # skipped the demo: the proposal came straight after discovery
            events.append((stage, when, amount, ""))
        return events

    def play(
        self,
        lead: Lead,
        stage: str,
        when: datetime,
        ae: Rep,
        amount: Decimal | None,
        reason: str,
    ) -> None:
        rng = self.rng
        activity = {
            "discovery": ("meeting", "held", "discovery: needs and budget"),
            "demo": ("demo", "held", ""),
            "proposal": ("email", "proposal_sent", "proposal sent"),
            "negotiation": ("call", "connected", "terms discussed"),
            "customer": ("note", "", "contract signed"),
            "lost": ("note", "", f"lost: {reason}"),
        }[stage]
        self.touch(lead, activity[0], when, ae, activity[1], activity[2])
        if stage in ("discovery", "demo", "proposal", "negotiation"):
            for _ in range(rng.randrange(0, 3)):
                follow_up = days_later(rng, when, 0.5, 6)
                self.touch(
                    lead,
                    rng.choice(("email", "call")),
                    follow_up,
                    ae,
                    rng.choice(("connected", "replied", "no_answer", "sent")),
                )
        lead.move(stage, when, ae, reason, amount)

    # customers

    def onboard(
        self, lead: Lead, won_at: datetime, plan: int, interval: str, discount: Decimal
    ) -> None:
        company = lead.company
        assert company is not None
        cs = self.pick_rep("cs", company.country, won_at)
        lead.owner = cs
        company.owner = cs
        company.customer_lead = lead
        self.touch(lead, "meeting", days_later(self.rng, won_at, 1, 7), cs, "held", "onboarding")
        churned_at = self.lifecycle(company, won_at, plan, interval, discount)
        company.busy[-1] = (company.busy[-1][0], churned_at or FAR)
        if churned_at is not None:
            reason = "low adoption" if company.health < -0.5 else self.rng.choice(CHURN_REASONS)
            lead.move("churned", churned_at, cs, reason)
            self.touch(
                lead, "call", churned_at - timedelta(days=3), cs, "connected", "cancellation call"
            )
        else:
            for _ in range(self.rng.randrange(1, 4)):
                check_in = days_later(self.rng, won_at, 20, 200)
                self.touch(
                    lead,
                    self.rng.choice(("call", "meeting", "email")),
                    check_in,
                    cs,
                    self.rng.choice(("connected", "held", "replied")),
                    "account review",
                )

    def lifecycle(
        self,
        company: Company,
        started: datetime,
        plan: int,
        interval: str,
        discount: Decimal,
    ) -> datetime | None:
        """Subscription rows from `started` to the anchor: renewals decide upgrades,
        downgrades and churn. Returns the churn moment, if any."""
        rng = self.rng
        months = {"month": 1, "quarter": 3, "year": 12}[interval]
        price_months = {"month": Decimal(1), "quarter": Decimal(3), "year": Decimal(10)}[interval]
        start_day = started.date()
        row_start = datetime.combine(start_day, time())
        period = 1
        while True:
            boundary = datetime.combine(add_months(start_day, months * period), time())
            if boundary >= self.end:
                self.add_subscription(
                    company, plan, row_start, None, interval, price_months, discount
                )
                return None
            churn = (0.012 + 0.03 * max(0.0, -company.health)) * months
            upgrade = (0.02 + 0.015 * max(0.0, company.health)) * months
            downgrade = 0.008 * months
            draw = rng.random()
            if draw < churn:
                self.add_subscription(
                    company, plan, row_start, boundary, interval, price_months, discount
                )
                return boundary
            step = 0
            if draw < churn + upgrade:
                step = 1 if plan < len(PLANS) - 1 else 0
            elif draw < churn + upgrade + downgrade:
                step = -1 if plan > 0 else 0
            if step:
                self.add_subscription(
                    company, plan, row_start, boundary, interval, price_months, discount
                )
                plan += step
                row_start = boundary
            period += 1

    def add_subscription(
        self,
        company: Company,
        plan: int,
        start: datetime,
        end: datetime | None,
        interval: str,
        price_months: Decimal,
        discount: Decimal,
    ) -> None:
        amount = (PLANS[plan][1] * price_months * (1 - discount)).quantize(Decimal("0.01"))
        company.subscriptions.append(
            Subscription(company, PLANS[plan][0], start, end, amount, interval)
        )

    def trial(self, lead: Lead) -> None:
        """A trial sign-up at a company that is not a customer starts a 14-day trial row."""
        company = lead.company
        start = datetime.combine(lead.created_at.date(), time())
        if company is None or not company.is_free(start, start + timedelta(days=14)):
            return
        if any(row.is_trial for row in company.subscriptions):
            return
        company.subscriptions.append(
            Subscription(
                company,
                "trial",
                start,
                start + timedelta(days=14),
                Decimal(0),
                "month",
                is_trial=True,
            )
        )

    def reactivate(self) -> None:
        """Win back the first churned customer that churned early enough: a reactivation."""
        for company in self.companies:
            lead = company.customer_lead
            if lead is None or lead.stage != "churned":
                continue
            churned_at = lead.history[-1][1]
            back = datetime.combine(add_months(churned_at.date(), 3), time())
            if back + timedelta(days=60) >= self.end or not company.is_free(back, FAR):
                continue
            cs = lead.owner
            last_paid = [row for row in company.subscriptions if not row.is_trial][-1]
            self.touch(lead, "call", back - timedelta(days=5), cs, "connected", "win-back offer")
            lead.move(
                "customer",
                back,
                cs,
                "reactivated after a win-back offer",
                PLANS[[name for name, _ in PLANS].index(last_paid.plan)][1] * 12,
            )
            company.busy.append((back, FAR))
            plan = [name for name, _ in PLANS].index(last_paid.plan)
            churned_again = self.lifecycle(company, back, plan, "month", Decimal(0))
            assert churned_again is None or churned_again > back
            if churned_again is not None:
                lead.move("churned", churned_again, cs, "low adoption")
            return

    def referrals(self) -> None:
        """Happy customers refer new leads: source referral, routed to an SDR."""
        rng = self.rng
        for company in list(self.companies):
            lead = company.customer_lead
            if lead is None or company.health < 0.6 or rng.random() > 0.45:
                continue
            won_at = next(when for stage, when, *_ in lead.history if stage == "customer")
            created = days_later(rng, won_at, 30, 150)
            if created >= self.end:
                continue
            others = [other for other in self.companies if other.customer_lead is None]
            target = rng.choice(others)
            referred = self.make_lead(target, "referral", created)
            referred.campaign = "customer-referrals"
            self.walk(referred)

    # the existing base and the main loop

    def base_customers(self, count: int) -> None:
        """Customers won in the year before the window: an MRR base on day one."""
        rng = self.rng
        candidates = [c for c in self.companies if c.tier is None and c.employees >= 10]
        for company in rng.sample(candidates, count):
            won_at = at_work_hours(rng, (self.start - timedelta(days=rng.randrange(5, 360))).date())
            won_at = next_workday(won_at)
            created = won_at - timedelta(days=rng.randrange(45, 110))
            level = rng.choice(("c_level", "vp", "vp", "manager"))
            source = rng.choice(("demo_request", "outbound_list", "webinar", "contact_form"))
            lead = self.make_lead(company, source, created, seniority=level)
            ae = self.pick_rep("ae", company.country, won_at)
            plan, interval, discount = self.deal_terms(company)
            amount = contract_value(plan, interval, discount)
            steps = ("prospect", "qualified", "discovery", "demo", "proposal", "negotiation")
            span = (won_at - created) / 7
            for index, stage in enumerate(steps):
                rep = lead.owner if index < 2 else ae
                lead.move(stage, created + span * index, rep, "", amount if index >= 2 else None)
            lead.move("customer", won_at, ae, "", amount)
            company.busy.append((created + span * 2, won_at))
            self.onboard(lead, won_at, plan, interval, discount)

    def build(self, lead_count: int) -> None:
        self.build_team()
        self.build_companies(340)
        self.base_customers(40)
        rng = self.rng
        target_contacts: list[Company] = []
        for target in self.companies:
            if target.tier is not None:
                target_contacts += [target] * rng.randrange(2, 6)
        times = self.lead_times(lead_count - len(self.leads) - 45)
        every = max(1, len(times) // len(target_contacts))
        weights = [math.log(each.employees + 5) ** 2 for each in self.companies]
        cumulative = [sum(weights[: index + 1]) for index in range(len(weights))]
        company: Company | None
        for index, created in enumerate(times):
            source = weighted(rng, SOURCES)
            if index % every == 0 and target_contacts:
                company = target_contacts.pop(rng.randrange(len(target_contacts)))
                source = rng.choice(("outbound_list", "social_selling", "webinar", "event"))
            elif rng.random() < (0.08 if source in INBOUND else 0.0):
                company = None  # a freemail address, no company
            else:
                for _ in range(4):  # lists skip most customers and accounts in a deal
                    pick = rng.random() * cumulative[-1]
                    company = self.companies[bisect.bisect_left(cumulative, pick)]
                    if company.is_free(created, created + timedelta(days=1)):
                        break
            lead = self.make_lead(company, source, created)
            if source == "trial_signup":
                self.trial(lead)
            self.walk(lead)
        self.referrals()
        self.reactivate()
        self.campaigns()
        self.planned_activities()
        self.enablement(random.Random(f"enablement-{self.seed}"))

    # enablement

    def enablement(self, rng: random.Random) -> None:
        """The playbook, checklist ticks, content used in activities and field feedback,
        from their own random stream so the rest of the company stays as it was."""
        template = TEMPLATE_PLAYBOOK.read_text(encoding="utf-8")
        self.playbook_text = self.quillo_playbook(template)
        steps = tomllib.loads(self.playbook_text)["steps"]
        items = {stage: [item["id"] for item in step["checklist"]] for stage, step in steps.items()}
        pieces = {
            stage: [piece["id"] for piece in step["content"]] for stage, step in steps.items()
        }
        for lead in self.leads:
            self.ticks(rng, lead, items)
        self.content_use(rng, pieces)
        self.field_feedback(rng)

    def quillo_playbook(self, template: str) -> str:
        """The template with Quillo's owners, its review dates and its ramp targets."""
        lines = []
        reviews = iter(REVIEW_DAYS)
        role = ""
        for line in template.replace("example.com", COMPANY_DOMAIN).splitlines():
            if line.startswith("[ramp."):
                role = line.strip("[]").split(".")[1]
            if line.startswith("review = "):
                line = f"review = {self.anchor + timedelta(days=next(reviews))}"
            elif line.startswith("activities_") and role in RAMP_TARGETS:
                days = int(line.split("=")[0].strip().removeprefix("activities_"))
                line = f"activities_{days} = {RAMP_TARGETS[role][(30, 60, 90).index(days)]}"
            lines.append(line)
        return "\n".join(lines) + "\n"

    def ticks(self, rng: random.Random, lead: Lead, items: dict[str, list[str]]) -> None:
        """Each stay of the lead in a step with a checklist: items ticked while it was
        there, more often when the lead then moved forward."""
        stays = lead.history
        for index, (stage, entered, *_) in enumerate(stays):
            if stage not in items:
                continue
            following = stays[index + 1] if index + 1 < len(stays) else None
            left = following[1] if following else self.end
            if left < self.start or left <= entered:
                continue
            if following is None:
                chance = TICK_CHANCE["open"]
            elif following[0] in ("lost", "disqualified", "churned"):
                chance = TICK_CHANCE["exit"]
            else:
                chance = TICK_CHANCE["forward"]
            worker = following[2] if following else lead.owner
            for item in items[stage]:
                if rng.random() < chance:
                    span = (left - entered).total_seconds()
                    moment = entered + timedelta(seconds=int(span * rng.uniform(0.1, 0.9)))
                    self.checklist_rows.append((lead.email, item, moment, worker.email))

    def content_use(self, rng: random.Random, pieces: dict[str, list[str]]) -> None:
        """Reps use the step's content in some calls, e-mails, meetings and demos; more
        often on leads that end up won (a correlation, as in real data)."""
        for activity in self.activities:
            if activity.rep is None or activity.type not in ("call", "email", "meeting", "demo"):
                continue
            if activity.occurred_at < self.start or activity.due_at is not None:
                continue
            history = activity.lead.history
            times = [event[1] for event in history]
            position = bisect.bisect_left(times, activity.occurred_at) - 1
            if position < 0:
                continue
            stage = history[position][0]
            if not pieces.get(stage):
                continue
            won = any(event[0] == "customer" for event in history)
            if rng.random() < (0.35 if won else 0.2):
                activity.content = rng.choice(pieces[stage])

    def field_feedback(self, rng: random.Random) -> None:
        """Notes sent up each month by the reps working each step; pricing ones grow."""
        seen: set[tuple[str, datetime, str, str]] = set()
        for offset in range(12):
            month = add_months(self.start.date(), offset)
            for (stage, tag), notes in FEEDBACK_NOTES.items():
                roles = {"prospect": ("sdr",), "qualified": ("sdr", "ir"), "customer": ("cs",)}
                rate = FEEDBACK_RATE.get(tag, 1.0) * (1 + offset / 11 if tag == "pricing" else 1)
                senders = [
                    rep
                    for rep in self.reps
                    if rep.role in roles.get(stage, ("ae",))
                    and (rep.started or self.start) <= datetime.combine(month, time())
                    and (rep.left_at is None or rep.left_at > datetime.combine(month, time()))
                ]
                for _ in range(poisson(rng, rate)):
                    rep = rng.choice(senders)
                    day = month + timedelta(days=rng.randrange(28))
                    when = at_work_hours(rng, day)
                    if (rep.email, when, stage, tag) in seen or when >= self.end:
                        continue
                    seen.add((rep.email, when, stage, tag))
                    self.feedback_rows.append((stage, tag, rng.choice(notes), rep.email, when))

    def planned_activities(self) -> None:
        """Open leads with a next step planned after the anchor date (a `due_at`)."""
        rng = self.rng
        for lead in self.leads:
            if lead.stage not in ("qualified", "discovery", "demo", "proposal", "negotiation"):
                continue
            last = lead.history[-1][1]
            if rng.random() < 0.6 and last > self.end - timedelta(days=45):
                planned = days_later(rng, self.end - timedelta(days=1), 0, 1)
                planned = min(planned, self.end - timedelta(minutes=1))
                due = days_later(rng, self.end, 1, 14)
                kind = "demo" if lead.stage == "discovery" else rng.choice(("call", "meeting"))
                self.touch(lead, kind, planned, lead.owner, "", "next step", due_at=due)

    # marketing

    def campaigns(self) -> None:
        """Newsletters, webinar invitations, an ABM play and a re-engagement of the
        disqualified: only to leads with consent, only after they exist."""
        rng = self.rng
        plans: list[tuple[str, date, str, float]] = []
        for offset in range(0, 12, 3):
            month = add_months(self.start.date(), offset)
            plans.append((f"newsletter-{month:%Y-%m}", month.replace(day=14), "consent", 0.04))
        for offset in (3, 7):
            month = add_months(self.start.date(), offset)
            plans.append((f"webinar-invite-{month:%Y-%m}", month.replace(day=6), "consent", 0.07))
        plans.append(
            (
                "abm-tier1-" + f"{add_months(self.start.date(), 4):%Y-%m}",
                add_months(self.start.date(), 4).replace(day=10),
                "targets",
                0.18,
            )
        )
        plans.append(
            (
                "nurture-reengage-" + f"{add_months(self.start.date(), 6):%Y-%m}",
                add_months(self.start.date(), 6).replace(day=20),
                "nurture",
                0.05,
            )
        )
        plans.append(
            (
                "launch-scoring-" + f"{add_months(self.start.date(), 10):%Y-%m}",
                add_months(self.start.date(), 10).replace(day=8),
                "consent",
                0.09,
            )
        )
        for name, day, audience, rate in plans:
            sent = next_workday(datetime.combine(day, time(8, 30)))
            for lead in self.leads:
                if lead.created_at >= sent or "@" not in lead.email:
                    continue
                if audience == "targets":
                    chosen = lead.company is not None and lead.company.tier == 1
                else:
                    chosen = lead.consent == "true"
                    if audience == "nurture":
                        chosen = chosen and lead.stage == "disqualified"
                    elif rng.random() > 0.7:
                        continue
                if not chosen:
                    continue
                send_at = sent + timedelta(seconds=rng.randrange(0, 5400))
                responded = None
                if rng.random() < rate * (1.5 if lead.quality > 0.8 else 1):
                    responded = send_at + timedelta(minutes=math.exp(rng.gauss(5, 1.5)))
                    if responded >= self.end:
                        responded = None
                    else:
                        kind = "webinar" if name.startswith("webinar") else "email_click"
                        self.touch(lead, kind, responded, None)
                self.campaign_rows.append((name, lead, send_at, responded))

    # customer signals

    def usage_rows(self) -> list[tuple[str, datetime, str, str]]:
        rng = self.rng
        rows = []
        for company in self.companies:
            paid = [row for row in company.subscriptions if not row.is_trial]
            if not paid and not company.subscriptions:
                continue
            plan = max([0] + [[n for n, _ in PLANS].index(row.plan) for row in paid])
            users = [company.customer_lead.email] if company.customer_lead else []
            language = LANGUAGE[company.country]
            while len(users) < USERS_PER_PLAN[plan]:
                first = ascii_slug(rng.choice(FIRST_NAMES[language]))
                last = ascii_slug(rng.choice(LAST_NAMES[language]).replace(" ", ""))
                email = f"{first}.{last}@{company.domain}"
                if email not in users:
                    users.append(email)
            engagement = 0.2 + 0.08 * max(-1.5, min(1.5, company.health))
            features = FEATURES if company.health > -0.3 else FEATURES[:3]
            for row in company.subscriptions:
                start = max(row.started_at, self.start)
                end = min(row.ended_at or self.end, self.end)
                day = start
                while day < end:
                    if day.weekday() < 5:
                        fading = 1.0
                        if row.ended_at is not None and (row.ended_at - day).days < 45:
                            fading = 0.4  # usage dries up before a churn
                        for number, user in enumerate(users):
                            if row.is_trial and number > 1:
                                break
                            joined = row.started_at + timedelta(days=4 * number)
                            if day < joined or rng.random() > engagement * fading:
                                continue
                            for feature in sorted({weighted(rng, features) for _ in range(2)}):
                                moment = at_work_hours(rng, day.date())
                                rows.append((user, moment, company.domain, feature))
                    day += timedelta(days=1)
        rows.sort(key=lambda row: (row[1], row[0], row[3]))
        return rows

    def nps_rows(self) -> list[tuple[int, datetime, str, str, str]]:
        rng = self.rng
        rows = []
        for offset in (1, 4, 7, 10):
            survey = datetime.combine(
                add_months(self.start.date(), offset).replace(day=12), time(9)
            )
            for company in self.companies:
                lead = company.customer_lead
                if lead is None or not self.paying(company, survey):
                    continue
                if rng.random() > 0.45:
                    continue
                score = round(7.6 + 1.7 * company.health + rng.gauss(0, 1.4))
                score = max(0, min(10, score))
                bucket = "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
                comment = rng.choice(NPS_COMMENTS[bucket]) if rng.random() < 0.4 else ""
                answered = survey + timedelta(minutes=rng.randrange(10, 60 * 24 * 6))
                rows.append((score, answered, lead.email, company.domain, comment))
        rows.sort(key=lambda row: (row[1], row[2]))
        return rows

    def paying(self, company: Company, moment: datetime) -> bool:
        return any(
            not row.is_trial and row.started_at <= moment < (row.ended_at or FAR)
            for row in company.subscriptions
        )

    def ticket_rows(self) -> list[tuple[str, datetime, str, str, datetime | None]]:
        rng = self.rng
        rows = []
        for company in self.companies:
            paid = [row for row in company.subscriptions if not row.is_trial]
            for row in paid:
                start, end = max(row.started_at, self.start), min(row.ended_at or FAR, self.end)
                month = start
                while month < end:
                    mean = 0.35 + 0.25 * max(0.0, -company.health)
                    for _ in range(poisson(rng, mean)):
                        opened = at_work_hours(
                            rng, (month + timedelta(days=rng.randrange(30))).date()
                        )
                        if not start <= opened < end:
                            continue
                        kind = weighted(rng, TICKET_TYPES)
                        severity = weighted(rng, SEVERITIES[kind])
                        hours = math.exp(rng.gauss(2.5 if kind == "incident" else 3.6, 1.0))
                        closed = opened + timedelta(hours=hours)
                        rows.append(
                            (
                                company.domain,
                                opened,
                                kind,
                                severity,
                                closed if closed < self.end else None,
                            )
                        )
                    month += timedelta(days=30)
        rows.sort(key=lambda row: (row[1], row[0]))
        return rows

    def spend_rows(self) -> list[tuple[str, str, Decimal, str]]:
        rng = self.rng
        rows = []
        salaries = {
            "sdr": 5200,
            "ir": 5000,
            "ae": 9500,
            "cs": 6200,
            "manager": 12500,
            "enablement": 7000,
        }
        for offset in range(12):
            month = add_months(self.start.date(), offset)
            moment = datetime.combine(month, time())
            growth = 1 + 0.03 * offset
            marketing = {
                "google_ads": 5200 * growth,
                "linkedin_ads": 3800 * growth,
                "content": 2100,
                "webinars": 900 if offset in (3, 7) else 300,
                "events": 14000 if month.month in (6, 10) else 600,
                "seo": 1200,
            }
            for channel, base in marketing.items():
                amount = Decimal(str(round(base * rng.uniform(0.9, 1.1), 2)))
                rows.append((f"{month:%Y-%m}", "marketing", amount, channel))
            payroll = sum(
                salaries[rep.role]
                for rep in self.reps
                if rep.left_at is None or rep.left_at > moment
            )
            sales = {"salaries": payroll, "sales_tools": 1450, "data_providers": 900}
            for channel, base in sales.items():
                amount = Decimal(str(round(base * rng.uniform(0.97, 1.03), 2)))
                rows.append((f"{month:%Y-%m}", "sales", amount, channel))
        return rows

    # output

    def listed_accounts(self, count: int) -> list[Company]:
        """The accounts the CRM tracks: every target, every company that had a deal or a
        subscription, then the largest others up to `count`. Leads at other companies
        carry their company on the lead row."""
        dealt = {
            lead.company.domain
            for lead in self.leads
            if lead.company is not None and lead.owner.role in ("ae", "cs")
        }
        tracked = [c for c in self.companies if c.tier or c.subscriptions or c.domain in dealt]
        others = sorted(
            (c for c in self.companies if c not in tracked), key=lambda c: (-c.employees, c.domain)
        )
        listed = tracked + others[: max(0, count - len(tracked))]
        return sorted(listed, key=lambda company: company.domain)

    def write(self, out: Path) -> None:
        out.mkdir(parents=True, exist_ok=True)
        write_csv(
            out / "team.csv",
            COLUMNS["team.csv"],
            (
                (
                    rep.email,
                    rep.name,
                    rep.role,
                    ";".join(rep.territory),
                    rep.capacity or "",
                    "true" if rep.active else "false",
                    day_stamp(rep.started),
                )
                for rep in self.reps
            ),
        )
        write_csv(
            out / "accounts.csv",
            COLUMNS["accounts.csv"],
            (
                (
                    c.domain,
                    c.name,
                    c.industry,
                    c.employees,
                    c.country,
                    c.tier or "",
                    c.owner.email if c.owner else "",
                )
                for c in self.listed_accounts(300)
            ),
        )
        leads = sorted(self.leads, key=lambda lead: (lead.created_at, lead.email))
        write_csv(
            out / "leads.csv",
            COLUMNS["leads.csv"],
            (
                (
                    lead.email,
                    lead.first_name,
                    lead.last_name,
                    lead.title,
                    lead.phone,
                    lead.company.name if lead.company else lead.company_name,
                    lead.company.domain if lead.company else "",
                    lead.company.industry if lead.company else "",
                    lead.company.employees if lead.company else "",
                    lead.company.country if lead.company else "",
                    lead.source,
                    lead.campaign,
                    stamp(lead.created_at),
                    lead.consent,
                    lead.owner.email,
                    lead.stage,
                    lead.buying_role,
                    lead.external_id,
                )
                for lead in leads
            ),
        )
        activities = sorted(self.activities, key=lambda a: (a.occurred_at, a.lead.email, a.type))
        seen: set[tuple[str, str, datetime]] = set()
        unique = []
        for activity in activities:
            key = (activity.lead.email, activity.type, activity.occurred_at)
            if key not in seen and activity.occurred_at >= self.start:
                seen.add(key)
                unique.append(activity)
        write_csv(
            out / "activities.csv",
            COLUMNS["activities.csv"],
            (
                (
                    a.lead.email,
                    a.type,
                    stamp(a.occurred_at),
                    a.rep.email if a.rep else "",
                    a.outcome,
                    a.notes,
                    stamp(a.due_at),
                    a.content,
                )
                for a in unique
            ),
        )
        history = sorted(
            (
                (lead, index, *event)
                for lead in self.leads
                for index, event in enumerate(lead.history)
            ),
            key=lambda row: (row[3], row[0].email, row[1]),
        )
        write_csv(
            out / "pipeline.csv",
            COLUMNS["pipeline.csv"],
            (
                (
                    lead.email,
                    stage,
                    stamp(when),
                    rep.email,
                    reason,
                    money(amount) if amount is not None else "",
                )
                for lead, _, stage, when, rep, reason, amount in history
            ),
        )
        subscriptions = sorted(
            (row for company in self.companies for row in company.subscriptions),
            key=lambda row: (row.started_at, row.company.domain, row.plan),
        )
        write_csv(
            out / "subscriptions.csv",
            COLUMNS["subscriptions.csv"],
            (
                (
                    row.company.domain,
                    day_stamp(row.started_at),
                    money(row.amount),
                    row.interval,
                    day_stamp(row.ended_at),
                    row.plan,
                    "true" if row.is_trial else "false",
                )
                for row in subscriptions
            ),
        )
        write_csv(
            out / "spend.csv",
            COLUMNS["spend.csv"],
            (
                (month, category, money(amount), channel)
                for month, category, amount, channel in self.spend_rows()
            ),
        )
        write_csv(
            out / "nps.csv",
            COLUMNS["nps.csv"],
            (
                (score, stamp(when), email, account, comment)
                for score, when, email, account, comment in self.nps_rows()
            ),
        )
        write_csv(
            out / "usage.csv",
            COLUMNS["usage.csv"],
            (
                (user, stamp(when), account, feature)
                for user, when, account, feature in self.usage_rows()
            ),
        )
        campaign_rows = sorted(self.campaign_rows, key=lambda row: (row[2], row[1].email))
        write_csv(
            out / "campaigns.csv",
            COLUMNS["campaigns.csv"],
            (
                (name, lead.email, stamp(sent), stamp(responded))
                for name, lead, sent, responded in campaign_rows
            ),
        )
        write_csv(
            out / "tickets.csv",
            COLUMNS["tickets.csv"],
            (
                (account, stamp(opened), kind, severity, stamp(closed))
                for account, opened, kind, severity, closed in self.ticket_rows()
            ),
        )
        (out / "playbook.toml").write_text(self.playbook_text, encoding="utf-8")
        write_csv(
            out / "checklist.csv",
            COLUMNS["checklist.csv"],
            (
                (email, item, stamp(when), rep)
                for email, item, when, rep in sorted(
                    self.checklist_rows, key=lambda row: (row[2], row[0], row[1])
                )
            ),
        )
        write_csv(
            out / "feedback.csv",
            COLUMNS["feedback.csv"],
            (
                (stage, tag, body, rep, stamp(when))
                for stage, tag, body, rep, when in sorted(
                    self.feedback_rows, key=lambda row: (row[4], row[3], row[0], row[1])
                )
            ),
        )


def contract_value(plan: int, interval: str, discount: Decimal) -> Decimal:
    """A deal's first-year value: twelve months, or ten for an annual plan."""
    months = 10 if interval == "year" else 12
    return (PLANS[plan][1] * months * (1 - discount)).quantize(Decimal("0.01"))


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


ANCHOR = date(2026, 10, 31)
"""The last day of the example company's data: the demo reports on that month."""


def generate(out: Path, seed: int = 7, anchor: date = ANCHOR) -> None:
    """Write the example company's CSVs into `out`."""
    generator = Generator(seed, anchor)
    generator.build(lead_count=3000)
    generator.write(out)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder to write the CSV files to")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default: 7)")
    parser.add_argument(
        "--anchor",
        type=date.fromisoformat,
        default=ANCHOR,
        help="last day of the twelve months covered (default: 2026-10-31)",
    )
    args = parser.parse_args(argv)
    generate(args.out, args.seed, args.anchor)


if __name__ == "__main__":
    main()
