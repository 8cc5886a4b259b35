"""Forms as configuration, and turning a form post into lead fields."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

# Provider token fields: checked by the CAPTCHA verifier, never stored nor counted as dropped.
CAPTCHA_FIELDS = frozenset(
    {"cf-turnstile-response", "h-captcha-response", "g-recaptcha-response", "captcha_token"}
)
LEAD_FIELDS = frozenset(
    {
        "email",
        "name",
        "phone",
        "company",
        "title",
        "company_size",
        "industry",
        "country",
        "message",
        "consent_marketing",
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "utm_term",
        "utm_content",
    }
)


class Form(BaseModel):
    """One capture form: who may post it, which fields it takes, and what the person agreed to."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,100}$")
    public_key: str = Field(min_length=12, max_length=100)
    source: str = "web_form"
    allowed_origins: list[str] = Field(default_factory=list)
    # Browsers send Origin with every cross-site or form POST; a post without one is a script's, refused unless
    # the form takes posts from servers that do not send it.
    allow_missing_origin: bool = False
    required: list[str] = Field(default_factory=lambda: ["email"])
    allowed: list[str] = Field(default_factory=lambda: sorted(LEAD_FIELDS))
    mapping: dict[str, str] = Field(default_factory=dict)
    honeypot: str | None = None
    consent_text: str | None = None
    consent_version: str | None = None
    thank_you_url: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _printable(cls, data: Any) -> Any:
        """Refuse control characters anywhere (names, keys, texts): the database cannot store NUL in JSON."""
        where = _control_character_at(data, "")
        if where is not None:
            raise ValueError(f"{where or 'the form'} contains a control character")
        return data


def _control_character_at(value: Any, path: str) -> str | None:
    """Return the dotted path of the first string (value or key) with a control character, or None."""
    if isinstance(value, str):
        return path if any(ord(c) < 32 and c not in "\t\n\r" for c in value) else None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        if isinstance(key, str) and _control_character_at(key, path) is not None:
            return f"a key of {path or 'the form'}"
        found = _control_character_at(item, f"{path}.{key}" if path else str(key))
        if found is not None:
            return found
    return None


class FormsConfig(BaseModel):
    """Every form capture knows."""

    model_config = ConfigDict(extra="forbid")

    forms: list[Form]

    def by_id(self, form_id: str) -> Form | None:
        """Return a form by id."""
        return next((f for f in self.forms if f.id == form_id), None)

    def by_public_key(self, key: str) -> Form | None:
        """Return the form a public key belongs to."""
        return next((f for f in self.forms if f.public_key == key), None)


@dataclass(frozen=True)
class FormPost:
    """A form submission reduced to what the form allows, with what was dropped."""

    fields: dict[str, Any]
    dropped: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    is_bot: bool = False


def read_form_post(form: Form, raw: dict[str, Any]) -> FormPost:
    """Map a site's field names, keep only allowed non-empty fields, and note missing required ones."""
    if form.honeypot and str(raw.get(form.honeypot) or "").strip():
        return FormPost(fields={}, is_bot=True)
    allowed = set(form.allowed) & LEAD_FIELDS
    kept: dict[str, Any] = {}
    dropped: list[str] = []
    for name, value in raw.items():
        if name == form.honeypot or name in CAPTCHA_FIELDS:
            continue
        target = form.mapping.get(name, name)
        if target in allowed:
            if value not in (None, ""):
                kept[target] = value
        else:
            dropped.append(name)
    missing = [f for f in form.required if f not in kept]
    return FormPost(fields=kept, dropped=sorted(dropped), missing=missing)
