"""The `leadrelay-dev` command: run the whole system on this machine (`make run`), train the demo model."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import sys
import time
from pathlib import Path
from typing import Any

STATE_DIR = Path(os.environ.get("LEADRELAY_STATE_DIR", ".leadrelay"))
STACK_FILE = STATE_DIR / "stack.json"
MAIL_DIR = STATE_DIR / "mail"


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and run a subcommand."""
    parser = argparse.ArgumentParser(prog="leadrelay-dev", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="start broker and database (unless configured) and all six services")
    sub.add_parser(
        "demo-model", help="train the demo conversion model from the X Education CSV and activate it"
    )
    args = parser.parse_args(argv)
    if args.command == "run":
        return run_stack()
    return build_demo_model()


# The team's public lead data beside the project (../shared), unless LEADRELAY_DEMO_DATASET says otherwise.
DEMO_DATASET = Path(
    os.environ.get("LEADRELAY_DEMO_DATASET")
    or Path(__file__).resolve().parents[4].parent / "shared" / "datasets" / "x-education" / "leads.csv"
)


def demo_model_command() -> list[str]:
    """The scoring CLI call that trains the demo model and activates it, unless a model is active already."""
    return [
        sys.executable,
        "-m",
        "leadrelay.scoring",
        "train",
        "--csv",
        str(DEMO_DATASET),
        "--target",
        "Converted",
        "--time-column",
        "Lead Number",  # sequential: the latest fifth of the leads is held out
        "--feature-map",
        "x-education",
        "--activate",
        "--unless-active",
    ]


def build_demo_model() -> int:
    """Train the demo model in scoring's database (infrastructure resolved like `run`)."""
    import subprocess

    from leadrelay.devkit.devstack import service_env
    from leadrelay.devkit.infra.resolve import resolve_infrastructure

    if not DEMO_DATASET.exists():
        print(f"no dataset at {DEMO_DATASET} (set LEADRELAY_DEMO_DATASET)", file=sys.stderr)
        return 2
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    infra = resolve_infrastructure(STATE_DIR)
    try:
        env = service_env(infra.bootstrap_servers, infra.postgres_dsn)
        return subprocess.run(demo_model_command(), env=env, check=False).returncode
    finally:
        infra.close()


def _start_demo_model(env: dict[str, str]) -> Any:
    """Train the demo model in the background while the services run (they pick it up once active)."""
    import subprocess

    from leadrelay.devkit.processes import spawn

    if os.environ.get("LEADRELAY_DEMO_MODEL", "on").lower() in ("0", "off", "false", "no"):
        return None
    if not DEMO_DATASET.exists():
        print(f"no demo model: {DEMO_DATASET} is missing; scoring uses rules only", flush=True)
        return None
    log = open(STATE_DIR / "logs" / "demo-model.log", "ab")
    return spawn(demo_model_command(), env=env, stdout=log, stderr=subprocess.STDOUT)


def run_stack() -> int:
    """Resolve the infrastructure, start the six services, print where to look, stop all on Ctrl-C."""
    from leadrelay.devkit.devstack import SERVICES, Stack, email_env, service_env
    from leadrelay.devkit.infra.resolve import resolve_infrastructure
    from leadrelay.devkit.testing.mailbox import Mailbox
    from leadrelay.kafka.admin import ensure_topics
    from leadrelay.settings import KafkaSettings

    STATE_DIR.mkdir(parents=True, exist_ok=True)
    print("resolving infrastructure ...", flush=True)
    infra = resolve_infrastructure(STATE_DIR)
    stack: Stack | None = None
    mailbox: Mailbox | None = None
    trainer = None
    stopping = False

    def request_stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        env = service_env(infra.bootstrap_servers, infra.postgres_dsn, **_dev_keys())
        os.environ.update(
            {k: env[k] for k in ("LEADRELAY_KAFKA_BOOTSTRAP_SERVERS", "LEADRELAY_POSTGRES_DSN")}
        )
        kafka = KafkaSettings()
        asyncio.run(ensure_topics(kafka, kafka.topics.all_with_dlq()))
        # the `leadrelay` command talks to this stack with the settings its services have
        profile = {k: v for k, v in env.items() if k.startswith("LEADRELAY_KAFKA_")}
        STACK_FILE.write_text(json.dumps({"bootstrap_servers": infra.bootstrap_servers, "settings": profile}))
        ports = {s.name: int(os.environ.get(f"{s.env_prefix}PORT", s.port)) for s in SERVICES}
        if not os.environ.get("LEADRELAY_DELIVERY_SMTP_HOST"):  # reps' emails land in a folder
            mailbox = Mailbox(save_to=MAIL_DIR).__enter__()
            env.update(email_env(mailbox.port, ports))
        stack = Stack(env, STATE_DIR / "logs", ports)
        print("starting capture, scoring, routing, sla-monitor, metrics and delivery ...", flush=True)
        stack.start()
        trainer = _start_demo_model(env)
        urls = {name: service.url for name, service in stack.services.items()}
        print(_banner(urls, env, infra.bootstrap_servers, infra.broker_kind, infra.postgres_kind), flush=True)
        if trainer is not None:
            print(
                f"demo model: training from {DEMO_DATASET.name} in the background unless one is active "
                f"(log {STATE_DIR}/logs/demo-model.log); scoring serves it once it is registered\n",
                flush=True,
            )
        while not stopping:
            for service in stack.services.values():
                if not service.alive():
                    print(
                        f"\n{service.spec.name} exited; its log ends with:\n{service.log_tail()}",
                        file=sys.stderr,
                    )
                    stopping = True
            time.sleep(0.5)
        return 0
    finally:
        print("\nstopping ...", flush=True)
        if trainer is not None and trainer.poll() is None:
            trainer.terminate()
            trainer.wait(10)
        if stack is not None:
            stack.stop()
        if mailbox is not None:
            mailbox.__exit__()
        infra.close()
        STACK_FILE.unlink(missing_ok=True)


SERVICE_PREFIXES = ("CAPTURE", "SCORING", "ROUTING", "SLA_MONITOR", "METRICS", "DELIVERY")
# One development key per role (kept in the state folder), given to every service that takes that role.
DEV_KEYS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("backend", ("LEADRELAY_CAPTURE_API_KEYS", "LEADRELAY_DELIVERY_BACKEND_KEYS")),
    ("admin", tuple(f"LEADRELAY_{name}_ADMIN_KEYS" for name in SERVICE_PREFIXES)),
    ("viewer", tuple(f"LEADRELAY_{name}_VIEWER_KEYS" for name in SERVICE_PREFIXES)),
    # delivery acts for reps who follow an email's link with a sales key of its own
    (
        "sales",
        (*(f"LEADRELAY_{name}_SALES_KEYS" for name in SERVICE_PREFIXES), "LEADRELAY_DELIVERY_SALES_KEY"),
    ),
    ("demo-form", ("LEADRELAY_CAPTURE_DEMO_FORM_KEY",)),
    ("consent-secret", ("LEADRELAY_CAPTURE_CONSENT_SECRET",)),
    ("link-secret", ("LEADRELAY_DELIVERY_LINK_SECRET",)),
)


def _dev_keys() -> dict[str, str]:
    """Return development keys per role and the demo switch, unless set in the environment."""
    keys = {"LEADRELAY_CAPTURE_DEMO": os.environ.get("LEADRELAY_CAPTURE_DEMO", "true")}
    for role, variables in DEV_KEYS:
        path = STATE_DIR / f"dev-{role}-key"
        if not path.exists():
            path.write_text(f"{role.split('-')[0]}_{secrets.token_hex(16)}")
            path.chmod(0o600)
        for variable in variables:
            if not os.environ.get(variable):
                keys[variable] = path.read_text().strip()
    return keys


def _mail_where(env: dict[str, str]) -> str:
    if os.environ.get("LEADRELAY_DELIVERY_SMTP_HOST"):
        return f"through {os.environ['LEADRELAY_DELIVERY_SMTP_HOST']} (LEADRELAY_DELIVERY_SMTP_*)"
    return f"{MAIL_DIR}/*.eml   (a mailbox on port {env['LEADRELAY_DELIVERY_SMTP_PORT']}; set LEADRELAY_DELIVERY_SMTP_HOST for a real server)"


def _first_key(env: dict[str, str], variable: str) -> str:
    return (env.get(variable) or os.environ.get(variable, "")).split(",")[0].strip()


def _banner(
    urls: dict[str, str], env: dict[str, str], bootstrap: str, broker_kind: str, postgres_kind: str
) -> str:
    api_key = _first_key(env, "LEADRELAY_CAPTURE_API_KEYS")
    viewer_key = _first_key(env, "LEADRELAY_METRICS_VIEWER_KEYS")
    curl = (
        f"curl -s -X POST {urls['capture']}/v1/leads -H 'content-type: application/json' "
        f"-H 'X-API-Key: {api_key}' \\\n"
        '       -d \'{"email": "ada@example.com", "name": "Ada", "company": "Acme", '
        '"phone": "+44 20 7946 0958", "title": "VP Sales", "company_size": "201-1000", '
        '"source": "referral", "message": "Can we get a demo?"}\''
    )
    return f"""
Leadrelay is running.
  capture      {urls["capture"]}/docs
  scoring      {urls["scoring"]}/docs
  routing      {urls["routing"]}/docs
  sla-monitor  {urls["sla-monitor"]}/docs   (open handoffs: /v1/handoffs?state=open)
  metrics      {urls["metrics"]}/#key={viewer_key} (dashboard), /v1/kpis (Prometheus: /metrics on every port)
  delivery     {urls["delivery"]}/docs   (webhook subscriptions: /v1/subscriptions, admin key)
  reps' email  {_mail_where(env)}
  broker       {bootstrap}  [{broker_kind}]
  postgres     [{postgres_kind}]
  logs         {STATE_DIR}/logs/
Keys, one per role, sent as X-API-Key (see README, Security):
  backend      {api_key}   (LEADRELAY_CAPTURE_API_KEYS: post leads, activities, erasure)
  sales tool   {_first_key(env, "LEADRELAY_ROUTING_SALES_KEYS")}   (LEADRELAY_<SERVICE>_SALES_KEYS: accept, reject, contact)
  viewer       {viewer_key}   (LEADRELAY_<SERVICE>_VIEWER_KEYS: reads and dashboards)
  admin        {_first_key(env, "LEADRELAY_CAPTURE_ADMIN_KEYS")}   (LEADRELAY_<SERVICE>_ADMIN_KEYS: configuration)
  demo form    {urls["capture"]}/demo, public key {_first_key(env, "LEADRELAY_CAPTURE_DEMO_FORM_KEY")}   (LEADRELAY_CAPTURE_DEMO_FORM_KEY, X-Form-Key)

Post a lead:
  {curl}
Follow the handoffs (in another terminal):
  .venv/bin/leadrelay tail leads.qualified
Ctrl-C stops everything.
"""


if __name__ == "__main__":
    sys.exit(main())
