"""Normalising contact data: email (IDN-aware), phone to E.164, country to ISO 3166-1 alpha-2."""

from __future__ import annotations

from typing import get_args

import phonenumbers
import pycountry
from disposable_email_domains import blocklist
from email_validator import EmailNotValidError, validate_email

from leadrelay.events.lead import CompanySize, size_bucket

BUCKETS: tuple[str, ...] = get_args(CompanySize)
MAX_EMPLOYEES = 10_000_000  # above the largest employer on earth: a typo, not a head count


class InvalidValue(ValueError):
    """A value that cannot be normalised; the message says why, for a person to read."""


def normalise_email(raw: str) -> str:
    """Return the email lower-cased with its domain in Unicode form; syntax only, no network look-ups."""
    try:
        result = validate_email(raw.strip(), check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError as exc:
        raise InvalidValue(str(exc)) from exc
    return result.normalized.lower()


def email_domain(email: str) -> str:
    """Return the part after the @."""
    return email.rsplit("@", 1)[-1]


def is_disposable(email: str) -> bool:
    """Return True for throwaway-mailbox domains (a signal, not a rejection)."""
    domain = email_domain(email)
    return domain in blocklist or domain.encode("idna").decode("ascii", "ignore") in blocklist


def normalise_phone(raw: str, default_region: str | None) -> str:
    """Return the number in E.164, reading national numbers in default_region (the lead's country)."""
    try:
        number = phonenumbers.parse(raw, default_region or None)
    except phonenumbers.NumberParseException as exc:
        raise InvalidValue(f"not a phone number: {exc}") from exc
    if not phonenumbers.is_possible_number(number):
        raise InvalidValue("not a possible phone number (wrong length for its country)")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_country(raw: str) -> str:
    """Return the ISO 3166-1 alpha-2 code of a country given by code or name."""
    try:
        return str(pycountry.countries.lookup(raw.strip()).alpha_2)
    except LookupError as exc:
        raise InvalidValue(
            f"unknown country {raw.strip()[:60]!r}; use an ISO 3166 code or English name"
        ) from exc


def normalise_company_size(raw: int | str) -> tuple[str, int | None]:
    """Return the head-count bucket and, when a number was given, the head count itself.

    Accepts a number (850, "1,200"), a bucket ("51-200"), "N+" ("5000+") or a range that fits in one
    bucket ("2-10"); a range spanning buckets is refused rather than guessed.
    """
    text = str(raw).strip().replace(",", "").replace("_", "").replace(" ", "")
    if text in BUCKETS:
        return text, None
    if text.isdigit() and int(text) <= MAX_EMPLOYEES:
        return size_bucket(int(text)), int(text)
    if text.endswith("+") and text[:-1].isdigit():
        low = int(text[:-1])
        if low >= 1000:
            return "1000+", None
    elif "-" in text and all(part.isdigit() for part in text.split("-", 1)):
        low, high = (int(part) for part in text.split("-", 1))
        if low <= high and size_bucket(low) == size_bucket(high):
            return size_bucket(low), None
    raise InvalidValue(f"{raw!r} is not a head count (such as 850) or one of the sizes {', '.join(BUCKETS)}")
