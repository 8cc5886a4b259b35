"""Which lead field each column of a CRM or marketing export holds (HubSpot, Salesforce, Pipedrive, Mailchimp).

Headers are compared case- and punctuation-insensitively ("Country/Region" is "countryregion"); a person's
first and last names are joined into the name; where several columns hold one field (Phone and Mobile) the
first non-empty one wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FIRST, LAST, SOURCE = "first_name", "last_name", "source"
# Lead fields and the headers that hold them, as normalised keys.
HEADERS: dict[str, tuple[str, ...]] = {
    "email": ("email", "emailaddress", "mail", "primaryemail", "workemail", "businessemail"),
    "name": ("name", "fullname", "contactname", "personname", "leadname"),
    FIRST: ("firstname", "givenname", "forename", "fname"),
    LAST: ("lastname", "surname", "familyname", "lname"),
    "company": (
        "company",
        "companyname",
        "organisation",
        "organization",
        "organisationname",
        "organizationname",
        "accountname",
        "account",
        "employer",
    ),
    "title": ("title", "jobtitle", "position", "role", "jobrole"),
    "phone": (
        "phone",
        "phonenumber",
        "telephone",
        "tel",
        "workphone",
        "businessphone",
        "directphone",
        "mobile",
        "mobilephone",
        "mobilephonenumber",
        "mobilenumber",
        "cellphone",
    ),
    "country": (
        "country",
        "countryregion",
        "countrycode",
        "mailingcountry",
        "billingcountry",
        "addresscountry",
        "ipcountry",
    ),
    "company_size": (
        "companysize",
        "size",
        "numberofemployees",
        "noofemployees",
        "employees",
        "employeecount",
        "headcount",
        "companyheadcount",
        "annualemployees",
    ),
    "industry": ("industry", "sector", "vertical"),
    # the person's own words; a rep's notes or a record's description are not a question asked
    "message": ("message", "comments", "comment", "question", "yourmessage", "howcanwehelp"),
    "consent_marketing": (
        "consentmarketing",
        "consent",
        "marketingconsent",
        "optin",
        "emailoptin",
        "marketingoptin",
    ),
    SOURCE: ("source", "leadsource", "originalsource", "leadorigin"),
}
BY_KEY = {key: field for field, keys in HEADERS.items() for key in keys}
FIELDS = frozenset(HEADERS)
# Pipedrive writes "Person - Email - Work"; the person's part and the kind of address say nothing more.
PREFIXES = ("person", "contact", "lead")
SUFFIXES = ("work", "home", "mobile", "other", "primary", "main")

# A CRM's lead source values, read as capture's sources; anything else keeps the import's --source.
SOURCES = {
    "referral": (
        "referral",
        "partnerreferral",
        "employeereferral",
        "customerreferral",
        "partner",
        "wordofmouth",
    ),
    "web_form": ("web", "website", "webform", "form", "organicsearch", "directtraffic", "paidsearch", "seo"),
    "event": (
        "event",
        "events",
        "tradeshow",
        "conference",
        "seminar",
        "webinar",
        "offlinesources",
        "offline",
    ),
    "social": ("social", "socialmedia", "organicsocial", "paidsocial", "linkedin", "facebook", "twitter"),
    "email_click": ("email", "emailmarketing", "emailcampaign", "newsletter"),
    "chat": ("chat", "livechat", "chatbot"),
}
SOURCE_BY_KEY = {key: source for source, keys in SOURCES.items() for key in keys}


def header_key(header: str) -> str:
    """Return a header as compared: lower case, letters and digits only."""
    return re.sub(r"[^0-9a-z]", "", header.lower())


def field_of(header: str) -> str | None:
    """Return the lead field a header holds, or None."""
    key = header_key(header)
    if key in BY_KEY:
        return BY_KEY[key]
    for suffix in SUFFIXES:
        key = key.removesuffix(suffix)
    for prefix in PREFIXES:
        if key.startswith(prefix) and key[len(prefix) :] in BY_KEY:
            return BY_KEY[key[len(prefix) :]]
    return BY_KEY.get(key)


def source_of(value: str) -> str | None:
    """Return capture's source for a CRM's lead source value, or None when it is not one we know."""
    return SOURCE_BY_KEY.get(header_key(value))


@dataclass(frozen=True)
class ColumnPlan:
    """Each column's lead field (None: ignored), as chosen from the header and any explicit mapping."""

    fields: dict[str, str | None]

    @classmethod
    def of(cls, header: list[str], mapping: dict[str, str]) -> ColumnPlan:
        """Choose a field per column: --map first (by exact or normalised header), else the known headers."""
        explicit = {header_key(column): field for column, field in mapping.items()}
        chosen: dict[str, str | None] = {}
        for column in header:
            if not column:
                continue
            given = mapping.get(column) or explicit.get(header_key(column))
            chosen[column] = given if given is not None else field_of(column)
        return cls(chosen)

    @property
    def ignored(self) -> list[str]:
        """The columns no field takes: never stored."""
        return sorted(c for c, f in self.fields.items() if f is None or f not in FIELDS)

    def describe(self) -> list[str]:
        """Return one line per column: which field it fills, or that it is ignored."""
        width = max((len(c) for c in self.fields), default=0)
        lines = []
        for column, field in self.fields.items():
            target = field if field in FIELDS else "(ignored: not a lead field)"
            if field in (FIRST, LAST):
                target = f"name ({'first' if field == FIRST else 'last'} part)"
            lines.append(f"  {column:<{width}}  ->  {target}")
        return lines

    def apply(self, row: dict[str, str]) -> dict[str, str]:
        """Return the row's lead fields: first non-empty column per field, first and last names joined."""
        values: dict[str, str] = {}
        for column, field in self.fields.items():
            value = (row.get(column) or "").strip()
            if field in FIELDS and value and field not in values:
                values[field] = value
        first, last = values.pop(FIRST, ""), values.pop(LAST, "")
        if "name" not in values and (first or last):
            values["name"] = f"{first} {last}".strip()
        return values
