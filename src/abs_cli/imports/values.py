"""Cell parsers for import rows: dates, numbers, countries, sources, domains, text.

Each is a pydantic `BeforeValidator` over the raw cell text, raising `ValueError` with one
sentence naming the column and the value, which becomes the reject reason. Parsing
options (`--dayfirst`, `--decimal-comma`) arrive in the validation context.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Annotated, Any

from pydantic import BeforeValidator, ValidationInfo

from abs_cli.domain import ALL_STAGES, INBOUND_SOURCES, stage_from_user
from abs_cli.values import normalise_email, parse_bool

COUNTRY_NAMES: dict[str, str] = {
    "france": "FR",
    "germany": "DE",
    "deutschland": "DE",
    "allemagne": "DE",
    "united states": "US",
    "united states of america": "US",
    "usa": "US",
    "us": "US",
    "america": "US",
    "united kingdom": "GB",
    "uk": "GB",
    "great britain": "GB",
    "england": "GB",
    "royaume-uni": "GB",
    "india": "IN",
    "spain": "ES",
    "espagne": "ES",
    "españa": "ES",
    "italy": "IT",
    "italie": "IT",
    "belgium": "BE",
    "belgique": "BE",
    "netherlands": "NL",
    "the netherlands": "NL",
    "holland": "NL",
    "switzerland": "CH",
    "suisse": "CH",
    "austria": "AT",
    "portugal": "PT",
    "ireland": "IE",
    "luxembourg": "LU",
    "sweden": "SE",
    "norway": "NO",
    "denmark": "DK",
    "finland": "FI",
    "poland": "PL",
    "canada": "CA",
    "mexico": "MX",
    "brazil": "BR",
    "brasil": "BR",
    "argentina": "AR",
    "australia": "AU",
    "new zealand": "NZ",
    "japan": "JP",
    "china": "CN",
    "singapore": "SG",
    "south africa": "ZA",
    "israel": "IL",
    "united arab emirates": "AE",
    "uae": "AE",
    "saudi arabia": "SA",
    "morocco": "MA",
    "maroc": "MA",
    "tunisia": "TN",
    "algeria": "DZ",
    "nigeria": "NG",
    "kenya": "KE",
    "egypt": "EG",
    "turkey": "TR",
    "russia": "RU",
    "ukraine": "UA",
    "south korea": "KR",
    "korea": "KR",
    "indonesia": "ID",
    "philippines": "PH",
    "vietnam": "VN",
    "thailand": "TH",
    "malaysia": "MY",
    "hong kong": "HK",
    "taiwan": "TW",
    "czech republic": "CZ",
    "czechia": "CZ",
    "greece": "GR",
    "romania": "RO",
    "hungary": "HU",
    "chile": "CL",
    "colombia": "CO",
    "peru": "PE",
    "qatar": "QA",
    "kuwait": "KW",
    "oman": "OM",
    "bahrain": "BH",
    "pakistan": "PK",
    "bangladesh": "BD",
    "sri lanka": "LK",
    "ghana": "GH",
    "uganda": "UG",
    "tanzania": "TZ",
    "ethiopia": "ET",
    "senegal": "SN",
    "ivory coast": "CI",
    "côte d'ivoire": "CI",
    "cameroon": "CM",
    "liberia": "LR",
    "iceland": "IS",
    "estonia": "EE",
    "latvia": "LV",
    "lithuania": "LT",
    "slovakia": "SK",
    "slovenia": "SI",
    "croatia": "HR",
    "serbia": "RS",
    "bulgaria": "BG",
    "cyprus": "CY",
    "malta": "MT",
    "nepal": "NP",
    "venezuela": "VE",
    "uruguay": "UY",
    "ecuador": "EC",
    "costa rica": "CR",
    "panama": "PA",
}
"""Common country names (English, some French) to ISO 3166 alpha-2; codes pass as is."""

SOURCE_ALIASES: dict[str, str] = {
    "demo": "demo_request",
    "demo_request": "demo_request",
    "request_a_demo": "demo_request",
    "content": "content_download",
    "white_paper": "content_download",
    "whitepaper": "content_download",
    "ebook": "content_download",
    "case_study": "content_download",
    "success_story": "content_download",
    "survey": "content_download",
    "trial": "trial_signup",
    "free_trial": "trial_signup",
    "signup": "trial_signup",
    "contact": "contact_form",
    "contact_us": "contact_form",
    "web_form": "contact_form",
    "website_form": "contact_form",
    "partner": "referral",
    "partner_referral": "referral",
    "customer_referral": "referral",
    "word_of_mouth": "referral",
    "trade_show": "event",
    "tradeshow": "event",
    "conference": "event",
    "seminar": "event",
    "outbound": "outbound_list",
    "list": "outbound_list",
    "prospecting": "outbound_list",
    "cold_calling": "cold_call",
    "purchased": "purchased_list",
    "list_purchase": "purchased_list",
    "bought_list": "purchased_list",
    "social": "social_selling",
    "linkedin": "social_selling",
    "social_media": "social_selling",
}
"""Usual CRM spellings of docs/domain.md's source taxonomy (after snake-casing)."""

FREEMAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "outlook.fr",
        "hotmail.com",
        "hotmail.fr",
        "hotmail.co.uk",
        "live.com",
        "live.fr",
        "msn.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "aol.com",
        "gmx.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "proton.me",
        "protonmail.com",
        "mail.com",
        "yandex.com",
        "yandex.ru",
        "zoho.com",
        "orange.fr",
        "wanadoo.fr",
        "free.fr",
        "sfr.fr",
        "neuf.fr",
        "laposte.net",
        "bbox.fr",
        "libero.it",
        "t-online.de",
        "qq.com",
        "163.com",
        "rediffmail.com",
    }
)


def is_freemail(domain: str) -> bool:
    """A personal mailbox provider: its domain says nothing about the company."""
    return domain in FREEMAIL_DOMAINS or domain.startswith(("yahoo.", "ymail."))


def _context(info: ValidationInfo) -> dict[str, Any]:
    return info.context or {}


def _field(info: ValidationInfo) -> str:
    return info.field_name or "value"


def _text(limit: int) -> Callable[[Any, ValidationInfo], str]:
    def check(value: Any, info: ValidationInfo) -> str:
        text = str(value).strip()
        if len(text) > limit:
            raise ValueError(f"{_field(info)} is longer than {limit} characters ({len(text)})")
        return text

    check.limit = limit  # type: ignore[attr-defined]  # read by the bulk writers, which check inline
    return check


def Text(limit: int) -> BeforeValidator:
    """A trimmed string of at most `limit` characters: `Annotated[str, Text(limit)]`."""
    return BeforeValidator(_text(limit))


DATE_PATTERN = re.compile(
    r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$"
)


def parse_datetime(text: str, *, dayfirst: bool = False, monthfirst: bool = False) -> datetime:
    """ISO 8601 (offset optional, naive = UTC); `31/03/2026 [14:05]` with `dayfirst`,
    `3/31/2026` with `monthfirst` (US exports)."""
    value = text.strip()
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        match = DATE_PATTERN.match(value) if dayfirst or monthfirst else None
        if match is None:
            raise
        day, month, year, hour, minute, second = match.groups()
        if monthfirst:
            day, month = month, day
        parsed = datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)
        )
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _datetime(value: Any, info: ValidationInfo) -> datetime:
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
            if parsed.tzinfo is not None:
                return parsed.astimezone(UTC)
            if len(value) > 10:  # a naive time: UTC; parsing an offset beats replace()
                return datetime.fromisoformat(value + "+00:00")
            return parsed.replace(tzinfo=UTC)
        except ValueError:
            pass
    elif isinstance(value, datetime):
        return value
    elif isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    dayfirst = bool(_context(info).get("dayfirst"))
    monthfirst = bool(_context(info).get("monthfirst"))
    try:
        return parse_datetime(str(value), dayfirst=dayfirst, monthfirst=monthfirst)
    except ValueError:
        example = (
            "31/03/2026"
            if dayfirst
            else "3/31/2026"
            if monthfirst
            else "2026-03-31 (or --dayfirst for 31/03/2026)"
        )
        raise ValueError(f"{_field(info)} {value!r} is not a date; expected {example}") from None


UTCDate = Annotated[datetime, BeforeValidator(_datetime)]


def parse_decimal(text: str, *, decimal_comma: bool = False) -> Decimal:
    """`1,234.50`, `1234.5`, `€ 99`; with `decimal_comma`, `1.234,50` and `12,5`."""
    value = re.sub(r"[\s\u00a0\u202f€$£]", "", text)
    if decimal_comma:
        value = value.replace(".", "").replace(",", ".")
    elif "," in value:
        if not re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", value):
            raise ValueError("comma")
        value = value.replace(",", "")
    number = Decimal(value)
    if not number.is_finite():
        raise InvalidOperation
    return number


def _decimal(value: Any, info: ValidationInfo) -> Decimal:
    if isinstance(value, (Decimal, int)):
        return Decimal(value)
    decimal_comma = bool(_context(info).get("decimal_comma"))
    try:
        number = parse_decimal(str(value), decimal_comma=decimal_comma)
    except (ValueError, InvalidOperation):
        hint = "" if decimal_comma else " (use --decimal-comma for 12,50)"
        raise ValueError(f"{_field(info)} {value!r} is not a number{hint}") from None
    if number < 0:
        raise ValueError(f"{_field(info)} {value!r} must be 0 or more")
    return number


Amount = Annotated[Decimal, BeforeValidator(_decimal)]


def _count(value: Any, info: ValidationInfo) -> int:
    if isinstance(value, str) and value.isdigit() and value.isascii():
        return int(value)
    if isinstance(value, int):
        number = value
    else:
        try:
            decimal = parse_decimal(
                str(value), decimal_comma=bool(_context(info).get("decimal_comma"))
            )
        except (ValueError, InvalidOperation):
            raise ValueError(f"{_field(info)} {value!r} is not a whole number") from None
        if decimal != decimal.to_integral_value():
            raise ValueError(f"{_field(info)} {value!r} is not a whole number")
        number = int(decimal)
    if number < 0:
        raise ValueError(f"{_field(info)} {value!r} must be 0 or more")
    return number


Count = Annotated[int, BeforeValidator(_count)]


def _bool(value: Any, info: ValidationInfo) -> bool:
    try:
        return parse_bool(value)
    except ValueError:
        raise ValueError(f"{_field(info)} {value!r} is not true/false, yes/no or 1/0") from None


Flag = Annotated[bool, BeforeValidator(_bool)]


def _email(value: Any, info: ValidationInfo) -> str:
    try:
        email = normalise_email(str(value))
    except ValueError:
        raise ValueError(f"{_field(info)} {value!r} is not a valid address") from None
    if len(email) > 254:
        raise ValueError(f"{_field(info)} is longer than 254 characters")
    return email


Email = Annotated[str, BeforeValidator(_email)]


@lru_cache(maxsize=4096)
def parse_country(value: str) -> str:
    text = value.strip()
    code = COUNTRY_NAMES.get(text.lower())
    if code is None and re.fullmatch(r"[A-Za-z]{2}", text):
        code = text.upper()
    if code is None:
        raise ValueError(f"country {value!r} is not an ISO 3166 code or a known country name")
    return code


COUNTRY_PLACEHOLDERS = frozenset({"unknown", "n/a", "na", "none", "not provided", "-", "?"})
"""CRM exports' ways of saying "no country": stored as no country rather than rejected."""


def _country(value: Any, info: ValidationInfo) -> str | None:
    text = str(value)
    if text.strip().lower() in COUNTRY_PLACEHOLDERS:
        return None
    return parse_country(text)


Country = Annotated[str | None, BeforeValidator(_country)]


@lru_cache(maxsize=4096)
def normalise_source(value: str) -> str:
    """`Demo Request` → `demo_request`; unknown sources are kept, snake-cased."""
    key = re.sub(r"[^0-9a-z]+", "_", value.strip().lower()).strip("_")
    return SOURCE_ALIASES.get(key, key)[:64]


def is_inbound(source: str | None) -> bool:
    return source in INBOUND_SOURCES


def _source(value: Any, info: ValidationInfo) -> str:
    source = normalise_source(str(value))
    if not source:
        raise ValueError(f"{_field(info)} {value!r} names no source")
    return source


Source = Annotated[str, BeforeValidator(_source)]


def _stage(value: Any, info: ValidationInfo) -> str:
    try:
        return stage_from_user(str(value).replace(" ", "_"))
    except ValueError:
        raise ValueError(
            f"{_field(info)} {value!r} is not a stage; use one of {', '.join(ALL_STAGES)} "
            "(or --value to translate)"
        ) from None


Stage = Annotated[str, BeforeValidator(_stage)]

_DOMAIN = re.compile(r"^[a-z0-9]([a-z0-9\-.]*[a-z0-9])?$")


def normalise_domain(value: str) -> str:
    """`https://www.Acme.io/about` → `acme.io`; an account's key."""
    text = value.strip().lower()
    text = re.sub(r"^[a-z]+://", "", text).split("/", 1)[0].split("?", 1)[0]
    text = text.removeprefix("www.")
    if "@" in text:
        text = text.rsplit("@", 1)[1]
    if not text or len(text) > 253 or not _DOMAIN.match(text):
        raise ValueError(f"domain {value!r} is not a domain name")
    return text


def _domain(value: Any, info: ValidationInfo) -> str:
    try:
        return normalise_domain(str(value))
    except ValueError:
        raise ValueError(f"{_field(info)} {value!r} is not a domain name") from None


Domain = Annotated[str, BeforeValidator(_domain)]


def _month(value: Any, info: ValidationInfo) -> str:
    text = str(value).strip()
    match = re.fullmatch(r"(\d{4})-(\d{1,2})(?:-\d{1,2})?", text)
    if match is None or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f"{_field(info)} {value!r} is not a month (YYYY-MM)")
    return f"{match.group(1)}-{int(match.group(2)):02d}"


Month = Annotated[str, BeforeValidator(_month)]


def choice(values: tuple[str, ...]) -> BeforeValidator:
    """A value among `values`, case-insensitive: `Annotated[str, choice(values)]`."""

    def check(value: Any, info: ValidationInfo) -> str:
        text = str(value).strip().lower()
        if text not in values:
            raise ValueError(f"{_field(info)} {value!r} is not one of {', '.join(values)}")
        return text

    return BeforeValidator(check)
