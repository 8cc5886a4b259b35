"""Known owners of a batch of leads: the account owner (email domain, then company), else the person's
previous rep; read in two queries for the whole batch and kept current as the batch is handed off."""

from __future__ import annotations

from leadrelay.events.scoring import LeadScored
from leadrelay.routing.domain.handoff import Account, person_key
from leadrelay.routing.domain.route import Match
from leadrelay.routing.ports import RoutingUnitOfWork


def _domain(data: LeadScored) -> str | None:
    email = data.lead.contact.email
    return email.rsplit("@", 1)[-1].lower() if email else None


def _company(data: LeadScored) -> str | None:
    company = data.lead.contact.company
    return company.strip().lower() if company else None


class Matcher:
    """Matches leads to known owners from what was read for their batch plus the batch's own handoffs."""

    def __init__(self, accounts: list[Account], owners: list[tuple[str, str, str]]) -> None:
        self._by_domain = {a.domain: a for a in accounts if a.domain}
        self._by_name = {a.name_key: a for a in accounts}
        self._owners: dict[str, list[tuple[str, str]]] = {}  # person key -> [(lead id, owner)], latest first
        for key, lead_id, owner in owners:
            self._owners.setdefault(key, []).append((lead_id, owner))

    @classmethod
    async def load(cls, uow: RoutingUnitOfWork, leads: list[LeadScored]) -> Matcher:
        """Read the accounts and earlier owners that the leads could match."""
        domains = {d for d in map(_domain, leads) if d}
        companies = {c for c in map(_company, leads) if c}
        keys = {k for k in (person_key(d.lead.contact.email) for d in leads) if k}
        return cls(await uow.accounts.matching(domains, companies), await uow.leads.owners_of_people(keys))

    def match(self, data: LeadScored) -> Match | None:
        """The account owner (by email domain, then company), else the owner of the person's latest lead."""
        account = self._by_domain.get(_domain(data) or "") or self._by_name.get(_company(data) or "")
        if account is not None:
            return Match("account_owner", account.owner_id, f"account {account.name}")
        key = person_key(data.lead.contact.email)
        for lead_id, owner in self._owners.get(key or "", []):
            if lead_id != data.lead_id:
                return Match("previous_owner", owner, "an earlier lead of the same person")
        return None

    def handed_off(self, data: LeadScored, owner_id: str) -> None:
        """Remember a handoff made in this batch: a later lead of the same person matches its owner."""
        key = person_key(data.lead.contact.email)
        if key and not owner_id.startswith("pool:"):
            self._owners.setdefault(key, []).insert(0, (data.lead_id, owner_id))
