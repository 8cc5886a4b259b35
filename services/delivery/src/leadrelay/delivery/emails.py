"""Emails for people, rendered from template files (plain text and HTML) with signed links to act on a handoff."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    select_autoescape,
)

from leadrelay import tokens
from leadrelay.delivery.domain.notifications import KINDS, Recipient, actions_for
from leadrelay.delivery.domain.subscriptions import HandoffFacts, Person
from leadrelay.events import Envelope, new_event
from leadrelay.events.handoff import (
    DecisionRef,
    HandoffAtRisk,
    HandoffBreached,
    HandoffRejected,
    LeadQualified,
    Owner,
    SlaTerms,
)
from leadrelay.events.lead import Contact, LeadSnapshot
from leadrelay.events.scoring import Reason

PACKAGED = Path(__file__).resolve().parent / "templates" / "email"


class TemplateProblem(ValueError):
    """A template file does not render; the message names the file."""


def link_token(handoff_id: str, secret: str, expires_at: datetime) -> str:
    """The token of a handoff's links (a handoff id and a deadline: nothing personal)."""
    return tokens.sign({"h": handoff_id}, secret, expires_at)


def _local(at: datetime | None, timezone: str | None) -> str | None:
    """A time as the recipient reads it: their zone's wall clock and its abbreviation."""
    if at is None:
        return None
    try:
        zone = ZoneInfo(timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return at.astimezone(zone).strftime("%a %d %b %Y, %H:%M %Z")


class EmailComposer:
    """Renders the subject, text and HTML of one email from the packaged templates or a user's own."""

    def __init__(
        self, public_url: str, link_secret: str, link_ttl: timedelta, templates_dir: Path | None = None
    ) -> None:
        loaders = [FileSystemLoader(str(templates_dir))] if templates_dir else []
        self._env = Environment(
            loader=ChoiceLoader([*loaders, FileSystemLoader(str(PACKAGED))]),
            autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
            undefined=StrictUndefined,  # a misspelt variable fails the check at start, not a rep's email
            trim_blocks=True,
            keep_trailing_newline=True,
        )
        self._public_url = public_url.rstrip("/")
        self._link_secret = link_secret
        self._link_ttl = link_ttl

    def compose(
        self, event: Envelope, handoff: HandoffFacts, recipient: Recipient, now: datetime
    ) -> dict[str, str]:
        """The email for one recipient of an event: {"subject", "text", "html"}."""
        kind = KINDS[event.type]
        context = self._context(event, handoff, recipient, now)
        subject = self._env.get_template(f"{kind}.subject.txt").render(context)
        return {
            "subject": " ".join(subject.split())[:250],  # one line, whatever the template's whitespace
            "text": self._env.get_template(f"{kind}.txt").render(context),
            "html": self._env.get_template(f"{kind}.html").render(context),
        }

    def body(self, event: Envelope, handoff: HandoffFacts, recipient: Recipient, now: datetime) -> str:
        """The email as a delivery row keeps it."""
        return json.dumps(self.compose(event, handoff, recipient, now))

    def check(self, now: datetime) -> None:
        """Render every template with a sample handoff; TemplateProblem names a file that does not."""
        for event in _samples(now):
            facts = HandoffFacts(
                queue="enterprise",
                owner_id="rep-sample",
                owner=Person(
                    id="rep-sample", name="Sam Rep", email="sam@example.com", timezone="Europe/Paris"
                ),
                manager=Person(id="rep-boss", name="Mo Manager", email="mo@example.com"),
                lead_name="Ada Sample",
                lead_company="Sample Ltd",
            )
            for role in ("owner", "manager", "subscriber"):
                recipient = Recipient(facts.owner if role == "owner" else facts.manager, role)  # type: ignore[arg-type]
                try:
                    self.compose(event, facts, recipient, now)
                except TemplateError as exc:
                    where = getattr(exc, "filename", None) or getattr(exc, "name", None) or KINDS[event.type]
                    raise TemplateProblem(f"email template {where}: {exc}") from exc

    def _context(
        self, event: Envelope, handoff: HandoffFacts, recipient: Recipient, now: datetime
    ) -> dict[str, Any]:
        data = event.data
        tz = recipient.person.timezone
        lead: dict[str, Any] = {"name": handoff.lead_name, "company": handoff.lead_company}
        context: dict[str, Any] = {
            "recipient": recipient.person,
            "role": recipient.role,
            "event_type": event.type,
            "handoff": {
                "id": data.handoff_id,  # type: ignore[attr-defined]
                "queue": handoff.queue,
                "attempt": getattr(data, "attempt", 1),
                "requalified": getattr(data, "requalified", False),
                "owner_name": handoff.owner.name if handoff.owner else handoff.owner_id,
            },
            "score": None,
            "grade": handoff.grade,
            "reasons": [],
            "due_local": None,
            "overdue_minutes": None,
            "reason": None,
        }
        if isinstance(data, LeadQualified):
            contact = data.lead.contact
            lead = {
                "name": contact.name,
                "company": contact.company,
                "email": contact.email,
                "phone": contact.phone,
                "title": contact.title,
                "message": data.lead.message,
            }
            context.update(
                score=data.score,
                grade=data.grade,
                reasons=[r.text or r.factor for r in data.reasons],
                due_local=_local(data.sla.due_at, tz),
            )
        elif isinstance(data, HandoffAtRisk):
            context["due_local"] = _local(data.due_at, tz)
        elif isinstance(data, HandoffBreached):
            context.update(
                due_local=_local(data.due_at, tz), overdue_minutes=round(data.overdue_seconds / 60)
            )
        elif isinstance(data, HandoffRejected):
            context["reason"] = data.reason
        for key in ("email", "phone", "title", "message"):
            lead.setdefault(key, None)
        context["lead"] = lead
        actions = actions_for(event.type, recipient.role)
        expires_at = now + self._link_ttl
        token = link_token(data.handoff_id, self._link_secret, expires_at) if actions else ""  # type: ignore[attr-defined]
        context["links"] = {a: f"{self._public_url}/v1/actions/{a}?token={token}" for a in actions}
        context["links_expire"] = _local(expires_at, tz)
        return context


def _samples(now: datetime) -> list[Envelope]:
    """One event of each kind, to render every template once at start."""
    handoff_id, lead_id = "00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002"
    common = {"handoff_id": handoff_id, "lead_id": lead_id, "owner_id": "rep-sample", "queue": "enterprise"}
    events = [
        LeadQualified(
            handoff_id=handoff_id,
            lead_id=lead_id,
            queue="enterprise",
            owner=Owner(id="rep-sample", name="Sam Rep"),
            score=90,
            grade="A",
            stage="sql",
            reasons=[Reason(factor="title", text="a decision maker")],
            lead=LeadSnapshot(
                contact=Contact(name="Ada Sample", email="ada@example.com", company="Sample Ltd")
            ),
            sla=SlaTerms(policy="sample", due_at=now),
            decision=DecisionRef(trace_id="sample", strategy="round_robin"),
        ),
        HandoffAtRisk(**common, due_at=now, warned_at=now),
        HandoffBreached(**common, due_at=now, breached_at=now, overdue_seconds=60),
        HandoffRejected(**common, reason="not a fit", at=now),
    ]
    return [new_event(e, source="leadrelay/delivery", subject=lead_id) for e in events]
