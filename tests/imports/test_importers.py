"""Every importer of docs/domain.md §4 on the shared engine: keys, validation, idempotency."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from abs_cli.store.models import (
    Activity,
    CampaignMember,
    Lead,
    NpsResponse,
    Spend,
    StageHistory,
    Subscription,
    Ticket,
    UsageEvent,
)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def imported(cli, noun: str, path: Path, *options: str) -> tuple[int, dict]:  # type: ignore[no-untyped-def]
    result = cli(noun, "import", str(path), *options, "-f", "json")
    return result.exit_code, json.loads(result.stdout)


def reasons(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [row["reason"] for row in csv.DictReader(handle)]


@pytest.fixture
def seeded(cli, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A team of two and three leads."""
    team = write(
        tmp_path, "team.csv", "email,name,role\nana@acme.io,Ana Lima,sdr\nbo@acme.io,Bo,ae\n"
    )
    leads = write(
        tmp_path,
        "leads.csv",
        "email,external_id,created_at\na@acme.io,D1,2026-01-05\nb@beta.io,D2,2026-01-06\n"
        "c@gamma.io,,2026-01-07\n",
    )
    assert imported(cli, "team", team)[0] == 0
    assert imported(cli, "leads", leads)[0] == 0
    return cli


def test_activities(seeded, store, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "calls.csv",
        "lead_email,type,occurred_at,rep_email,outcome,notes\n"
        "a@acme.io,Call,2026-02-01T10:00:00,Ana Lima,connected,hello\n"
        "b@beta.io,email,2026-02-01T11:00:00+01:00,bo@acme.io,,\n"
        "zz@nowhere.io,call,2026-02-01,,,\n"
        "a@acme.io,fax,2026-02-01,,,\n"
        "a@acme.io,call,2026-02-02,nobody,,\n",
    )
    code, summary = imported(seeded, "activities", path)
    assert code == 3 and (summary["inserted"], summary["rejected"]) == (2, 3)
    assert reasons(tmp_path / "calls.rejects.csv") == [  # in line order
        "lead_email 'zz@nowhere.io' is not a lead in the store (import it first)",
        "type 'fax' is not one of call, email, meeting, demo, note, social, web_visit, "
        "email_open, email_click, content_download, webinar, form_submit, demo_request",
        "rep_email 'nobody' is not a rep on the team (see `abs team list`)",
    ]
    assert imported(seeded, "activities", path)[1]["unchanged"] == 2
    with store.session() as session:
        rows = session.execute(select(Activity.type, Activity.occurred_at)).all()
    assert sorted((t, at.isoformat()) for t, at in rows) == [
        ("call", "2026-02-01T10:00:00+00:00"),
        ("email", "2026-02-01T10:00:00+00:00"),
    ]


def test_pipeline_history_as_recorded(seeded, store, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "deals.csv",
        "Deal ID,Stage,Close Date,Sales Agent,Close Value,currency\n"
        "D1,Discovery,2026-02-01,bo@acme.io,,EUR\n"
        'D1,Closed Won,2026-03-01,Bo,"12,500.00",\n'
        "D2,Proposal,2026-02-10,,900,USD\n"
        "D9,Negotiation,2026-02-15,,100,\n"
        "D2,Lost,not a date,,,\n",
    )
    code, summary = imported(seeded, "pipeline", path, "--value", "to_stage:closed won=customer")
    assert code == 3 and (summary["inserted"], summary["rejected"]) == (3, 2)
    assert reasons(tmp_path / "deals.rejects.csv") == [
        "currency 'USD' differs from the store's currency EUR",
        "changed_at 'not a date' is not a date; expected 2026-03-31 (or --dayfirst for 31/03/2026)",
    ]
    again = imported(seeded, "pipeline", path, "--value", "to_stage:closed won=customer")[1]
    assert (again["inserted"], again["updated"], again["unchanged"]) == (0, 0, 3)
    lead = json.loads(seeded("leads", "show", "a@acme.io", "-f", "json").stdout)
    assert (lead["lead"]["stage"], lead["lead"]["amount"], lead["lead"]["owner"]) == (
        "customer",
        12500,
        "bo@acme.io",
    )
    assert [(h["from_stage"], h["to_stage"]) for h in lead["history"]] == [
        (None, "prospect"),
        ("prospect", "discovery"),
        ("discovery", "customer"),
    ]
    with store.session() as session:
        created = session.scalar(select(Lead).where(Lead.external_id == "D9"))
        assert (created.email, created.stage) == (None, "negotiation")
        assert (
            session.scalar(select(StageHistory.amount).where(StageHistory.lead_id == created.id))
            == 100
        )


def test_subscriptions_and_tickets_told_apart_by_their_ids(cli, store, tmp_path: Path) -> None:
    """Two subscriptions of one account, same day and plan (two tickets, same moment):
    distinct with the source system's ids."""
    with_ids = write(
        tmp_path,
        "billing.csv",
        "subscription_id,account,started_at,plan,amount\n"
        "S-1,acme.io,2026-01-01,Basic,684\n"
        "S-2,acme.io,2026-01-01,Basic,969\n",
    )
    code, summary = imported(cli, "subscriptions", with_ids)
    assert code == 0 and (summary["inserted"], summary["duplicates_in_file"]) == (2, 0)
    assert imported(cli, "subscriptions", with_ids)[1]["unchanged"] == 2
    raised = write(tmp_path, "raised.csv", with_ids.read_text().replace(",969", ",1000"))
    assert imported(cli, "subscriptions", raised)[1]["updated"] == 1
    without_ids = write(
        tmp_path,
        "plain.csv",
        "account,started_at,plan,amount\nbeta.io,2026-01-01,Basic,684\nbeta.io,2026-01-01,Basic,969\n",
    )
    code, summary = imported(cli, "subscriptions", without_ids)
    assert (summary["inserted"], summary["duplicates_in_file"]) == (1, 1)
    with store.session() as session:
        rows = session.execute(
            select(Subscription.external_id, Subscription.amount).order_by(Subscription.id)
        ).all()
    assert [(ref, int(amount)) for ref, amount in rows] == [("S-1", 684), ("S-2", 1000), ("", 969)]
    tickets = write(
        tmp_path,
        "tickets.csv",
        "ticket_id,account,opened_at,severity\nT-1,acme.io,2026-02-01,high\nT-2,acme.io,2026-02-01,low\n",
    )
    code, summary = imported(cli, "tickets", tickets)
    assert code == 0 and (summary["inserted"], summary["duplicates_in_file"]) == (2, 0)
    assert imported(cli, "tickets", tickets)[1]["unchanged"] == 2
    with store.session() as session:
        stored = session.execute(select(Ticket.external_id, Ticket.severity)).all()
    assert sorted(stored) == [("T-1", "high"), ("T-2", "low")]


def test_subscriptions_spend_and_currency(cli, store, tmp_path: Path) -> None:
    subscriptions = write(
        tmp_path,
        "subs.csv",
        "account,started_at,amount,interval,ended_at,plan,is_trial\n"
        "https://www.Acme.io/,2026-01-01,99.90,monthly,,Pro,no\n"
        "beta.io,2026-01-01,1200,annual,2026-12-31,Team,\n"
        "beta.io,2026-02-01,10,weekly,,Basic,\n"
        "gamma.io,2026-03-01,50,month,2026-02-01,Pro,\n",
    )
    code, summary = imported(cli, "subscriptions", subscriptions)
    assert code == 3 and (summary["inserted"], summary["rejected"]) == (2, 2)
    assert reasons(tmp_path / "subs.rejects.csv") == [
        "interval 'weekly' is not one of month, quarter, year",
        "ended_at is before started_at",
    ]
    spend = write(
        tmp_path,
        "spend.csv",
        "month;category;amount;channel\n2026-01;Marketing;1.234,50;ads\n2026-01;sales;3000;\n"
        "2026-13;sales;1;\n2026-02;travel;5;\n",
    )
    code, summary = imported(cli, "spend", spend, "--decimal-comma")
    assert code == 3 and summary["inserted"] == 2
    assert reasons(tmp_path / "spend.rejects.csv") == [
        "month '2026-13' is not a month (YYYY-MM)",
        "category 'travel' is not one of sales, marketing",
    ]
    assert imported(cli, "spend", spend, "--decimal-comma")[1]["unchanged"] == 2
    with store.session() as session:
        amounts = dict(session.execute(select(Spend.category, Spend.amount)).all())
        plans = dict(session.execute(select(Subscription.plan, Subscription.interval)).all())
    assert amounts == {"marketing": 1234.5, "sales": 3000}
    assert plans == {"Pro": "month", "Team": "year"}


def test_nps_usage_campaigns_tickets(seeded, store, tmp_path: Path) -> None:
    nps = write(
        tmp_path,
        "nps.csv",
        "score,responded_at,email,account,comment\n9,2026-03-01,a@acme.io,,great\n"
        "11,2026-03-01,b@beta.io,,\n3,2026-03-02,,beta.io,slow\n5,2026-03-02,,,\n",
    )
    code, summary = imported(seeded, "nps", nps)
    assert code == 3 and summary["inserted"] == 2
    assert reasons(tmp_path / "nps.rejects.csv") == [
        "score '11' is not a whole number from 0 to 10",
        "email and account are both empty (one is required)",
    ]
    usage = write(
        tmp_path,
        "usage.csv",
        "user,occurred_at,account,feature\nU1,2026-03-01,acme.io,export\n"
        "Ann@Acme.io,2026-03-01,,\nU1,2026-03-01,acme.io,export\n",
    )
    code, summary = imported(seeded, "usage", usage)
    assert code == 0 and (summary["inserted"], summary["duplicates_in_file"]) == (2, 1)
    campaigns = write(
        tmp_path,
        "campaigns.csv",
        "campaign,lead_email,sent_at,responded_at\nSpring,a@acme.io,2026-03-01,2026-03-03\n"
        "Spring,c@gamma.io,2026-03-01,\nSpring,x@nowhere.io,2026-03-01,\n",
    )
    code, summary = imported(seeded, "campaigns", campaigns)
    assert code == 3 and summary["inserted"] == 2
    tickets = write(
        tmp_path,
        "tickets.csv",
        "account,opened_at,type,severity,closed_at\nacme.io,2026-03-01,Bug,high,2026-03-02\n"
        "acme.io,2026-03-01,praise,,\nbeta.io,2026-03-04,,,\n",
    )
    code, summary = imported(seeded, "tickets", tickets)
    assert code == 3 and summary["inserted"] == 2
    assert reasons(tmp_path / "tickets.rejects.csv") == [
        "type 'praise' is not one of bug, incident, question, request"
    ]
    for noun, path in (
        ("nps", nps),
        ("usage", usage),
        ("campaigns", campaigns),
        ("tickets", tickets),
    ):
        summary = imported(seeded, noun, path)[1]
        assert (summary["inserted"], summary["updated"]) == (0, 0), noun
    with store.session() as session:
        assert sorted(session.scalars(select(NpsResponse.respondent))) == ["a@acme.io", "beta.io"]
        assert sorted(session.scalars(select(UsageEvent.user_key))) == ["U1", "ann@acme.io"]
        assert len(session.scalars(select(CampaignMember.id)).all()) == 2
        assert sorted(session.scalars(select(Ticket.type))) == ["bug", "unknown"]


def test_every_import_command_shares_the_options(sqlite_cli) -> None:
    cli = sqlite_cli
    for noun in (
        "team",
        "leads",
        "accounts",
        "activities",
        "pipeline",
        "subscriptions",
        "spend",
        "nps",
        "usage",
        "campaigns",
        "tickets",
    ):
        result = cli(noun, "import", "--help")
        assert result.exit_code == 0, noun
        text = " ".join(result.stdout.split())
        for option in (
            "--map",
            "--value",
            "--preset",
            "--dayfirst",
            "--strict",
            "--dry-run",
            "--rejects",
            "Example: abs " + noun,
        ):
            assert option in text, (noun, option)


def test_demo_loads_example_files_through_the_engine(sqlite_url: str, tmp_path: Path) -> None:
    from abs_cli.demo import build_demo
    from abs_cli.store.engine import Store, make_engine
    from abs_cli.store.location import StoreLocation
    from abs_cli.store.migrate import ensure_current

    write(tmp_path, "team.csv", "email,name,role\nana@acme.io,Ana,sdr\n")
    write(tmp_path, "leads.csv", "email,owner,source\njo@beta.io,Ana,Webinar\n")
    write(tmp_path, "spend.csv", "month,category,amount\n2026-01,sales,100\n")
    location = StoreLocation(sqlite_url, "test")
    store = Store(location, make_engine(location))
    ensure_current(store)
    build_demo(store, tmp_path)
    with store.session() as session:
        assert session.scalar(select(Lead.source)) == "webinar"
        assert session.scalar(select(Spend.amount)) == 100
    store.dispose()


def test_accounts_created_as_a_side_effect_are_counted(seeded, tmp_path: Path) -> None:
    usage = write(
        tmp_path,
        "usage.csv",
        "user,occurred_at,account\nU1,2026-03-01,acme.io\nU2,2026-03-01,new-one.io\n"
        "U3,2026-03-02,new-two.io\nU4,2026-03-02,NEW-ONE.io\n",
    )
    dry = imported(seeded, "usage", usage, "--dry-run")[1]
    assert dry["accounts_created"] == 2
    code, summary = imported(seeded, "usage", usage)
    assert code == 0 and summary["accounts_created"] == 2
    assert imported(seeded, "usage", usage)[1]["accounts_created"] == 0
    table = seeded(
        "usage",
        "import",
        str(write(tmp_path, "more.csv", "user,occurred_at,account\nU9,2026-03-03,third.io\n")),
    )
    assert "accounts created" in table.stdout
    listed = json.loads(seeded("accounts", "list", "-f", "json").stdout)
    assert {"new-one.io", "new-two.io", "third.io"} <= {account["domain"] for account in listed}
