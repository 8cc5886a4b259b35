"""The subscriptions file: read with secrets from the environment; a mistake names the file, entry and field."""

from __future__ import annotations

import pytest

from leadrelay.delivery.adapters.seed_file import SeedProblem, load_seed
from leadrelay.delivery.domain.signing import new_secret

GOOD = """
subscriptions:
  - name: crm
    target: {type: webhook, url: "https://crm.example.com/hooks"}
    events: [leadrelay.lead.qualified.v1]
    filters: {queue: enterprise}
    secret_env: CRM_SECRET
  - name: team-channel
    target: {type: slack, url: "https://hooks.slack.com/services/T/B/X"}
    events: [leadrelay.handoff.breached.v1]
"""


def test_subscriptions_come_with_their_secrets_from_the_environment(tmp_path):
    path = tmp_path / "subscriptions.yaml"
    path.write_text(GOOD)
    secret = new_secret()
    [(crm, crm_secret), (slack, slack_secret)] = load_seed(path, {"CRM_SECRET": secret})
    assert crm.name == "crm" and crm.filters.queue == "enterprise" and crm_secret == secret
    assert slack.target.type == "slack" and slack_secret is None


@pytest.mark.parametrize(
    ("text", "environ", "expected"),
    [
        (GOOD, {}, "subscriptions.0.secret_env: CRM_SECRET is not set"),
        (GOOD, {"CRM_SECRET": "hunter2"}, "starts with whsec_"),
        (GOOD, {"CRM_SECRET": "whsec_c2hvcnQ="}, "at least 24"),
        (GOOD.replace("filters:", "filtres:"), {"CRM_SECRET": new_secret()}, "subscriptions.0.filtres"),
        (
            GOOD.replace("leadrelay.handoff.breached.v1", "leadrelay.handoff.breach.v1"),
            {},
            "subscriptions.1.events",
        ),
        (GOOD.replace("team-channel", "crm"), {"CRM_SECRET": new_secret()}, "appears twice"),
        ("subscriptions: [", {}, "subscriptions.yaml"),
    ],
)
def test_a_mistake_names_the_file_the_entry_and_the_field(tmp_path, text, environ, expected):
    path = tmp_path / "subscriptions.yaml"
    path.write_text(text)
    with pytest.raises(SeedProblem, match=r"subscriptions\.yaml") as problem:
        load_seed(path, environ)
    assert expected in str(problem.value)
