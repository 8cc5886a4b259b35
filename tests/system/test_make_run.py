"""`leadrelay run` (what `make run` starts): a broker of its own, six services, a banner, and Ctrl-C stops all."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from leadrelay.db.provision import drop_database
from leadrelay.devkit.devstack import SERVICES
from leadrelay.devkit.infra.net import free_port, port_answers
from leadrelay.devkit.infra.resolve import local_broker
from leadrelay.devkit.processes import kill_group, spawn
from leadrelay.devkit.testing.waiting import wait_until

pytestmark = pytest.mark.system


def read_until(process: subprocess.Popen[str], marker: str, deadline_s: float) -> str:
    """Collect the process's output until a line contains marker, or fail at the deadline."""
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        lines.append(line)
        if marker in line:
            return "".join(lines)
    raise AssertionError(f"no {marker!r} within {deadline_s}s; output:\n{''.join(lines)}")


async def _wait_for_model(url: str, admin_key: str, lead: dict, deadline_s: float) -> dict:
    """Preview a lead until scoring serves a model, or fail at the deadline."""
    deadline = time.monotonic() + deadline_s
    async with httpx.AsyncClient(timeout=10, headers={"X-Admin-Key": admin_key}) as http:
        while time.monotonic() < deadline:
            response = await http.post(f"{url}/v1/score/preview", json={"lead": lead})
            assert response.status_code == 200, response.text
            if response.json()["model_version"] is not None:
                return dict(response.json())
            await asyncio.sleep(1.0)
    raise AssertionError(f"scoring served no model within {deadline_s}s")


def _mail_in(folder: Path, address: str) -> bool:
    return any(address in f.read_text(errors="replace") for f in folder.glob("*.eml"))


async def _mail_for(folder: Path, address: str) -> bool:
    return await asyncio.to_thread(_mail_in, folder, address)


async def test_run_starts_everything_prints_where_to_look_and_stops_on_ctrl_c(infra, unique, tmp_path):
    ports = {s.name: free_port() for s in SERVICES}
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADRELAY_")}
    env.update(
        LEADRELAY_POSTGRES_DSN=infra.postgres_dsn,  # configured database, a broker of its own (nothing configured)
        LEADRELAY_STATE_DIR=str(tmp_path / "state"),
        LEADRELAY_KAFKA_TOPIC_PREFIX=f"r{unique}.",
        LEADRELAY_KAFKA_SESSION_TIMEOUT_MS="3000",
        LEADRELAY_KAFKA_HEARTBEAT_INTERVAL_MS="500",
        PYTHONUNBUFFERED="1",
    )
    databases = []
    for spec in SERVICES:
        env[f"{spec.env_prefix}PORT"] = str(ports[spec.name])
        env[f"{spec.env_prefix}DATABASE"] = f"lrt_run_{spec.name.replace('-', '_')}_{unique}"
        databases.append(env[f"{spec.env_prefix}DATABASE"])
    process = spawn(
        [sys.executable, "-m", "leadrelay.devkit.cli", "run"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        banner = await asyncio.to_thread(read_until, process, "Ctrl-C stops everything", 150.0)
        # nothing configured: the broker this machine can run, Apache Kafka where Java and Maven are
        assert f"[{local_broker(tmp_path).kind}]" in banner
        for spec in SERVICES:
            assert f"http://127.0.0.1:{ports[spec.name]}" in banner
        assert "leadrelay tail leads.qualified" in banner
        capture_url = re.search(r"curl -s -X POST (\S+)", banner).group(1)
        body = json.loads(re.search(r"-d '(\{.*\})'", banner).group(1))
        api_key = re.search(r"-H 'X-API-Key: (\S+)'", banner).group(1)
        assert f"backend      {api_key}" in banner
        keys = {role: re.search(rf"\n  {role}\s+(\S+)", banner).group(1) for role in ("viewer", "admin")}
        sales_key = re.search(r"sales tool\s+(\S+)", banner).group(1)
        demo_key = re.search(r"/demo, public key (\S+)", banner).group(1)
        assert len({api_key, sales_key, demo_key, *keys.values()}) == 5  # one key per role
        async with httpx.AsyncClient(timeout=10) as http:
            # The banner's own curl, as a newcomer would run it.
            response = await http.post(capture_url, json=body, headers={"X-API-Key": api_key})
            demo = await http.get(f"http://127.0.0.1:{ports['capture']}/demo")
            kpis_url = f"http://127.0.0.1:{ports['metrics']}/v1/kpis"
            kpis = await http.get(kpis_url, headers={"X-API-Key": keys["viewer"]})
            anonymous_kpis = await http.get(kpis_url)
        assert response.status_code == 202
        assert demo.status_code == 200 and demo_key in demo.text  # make run enables the demo
        assert kpis.status_code == 200 and anonymous_kpis.status_code == 401
        lead_id = response.json()["lead_id"]
        tail = await asyncio.to_thread(
            subprocess.run,
            [
                sys.executable,
                "-m",
                "leadrelay.cli",
                "tail",
                f"r{unique}.leads.qualified",
                "--from-beginning",
                "--max",
                "1",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        handoff = json.loads(tail.stdout.splitlines()[0])
        assert handoff["key"] == lead_id
        assert handoff["value"]["data"]["owner"]["id"].startswith("rep-")
        # the rep's email lands in the folder the banner names
        mail_dir = Path(re.search(r"reps' email\s+(\S+)/\*\.eml", banner).group(1))
        rep_address = handoff["value"]["data"]["owner"]["email"]
        await wait_until(
            lambda: _mail_for(mail_dir, rep_address), what="the rep's email in the mail folder", timeout_s=30
        )
        # the demo model is trained in the background and then scores leads by default
        admin_key = keys["admin"]
        scoring_url = f"http://127.0.0.1:{ports['scoring']}"
        lead = {"lead_id": "preview", "source": "referral", "completeness": "complete", "contact": {}}
        preview = await _wait_for_model(scoring_url, admin_key, lead, deadline_s=150.0)
        assert preview["model_version"].startswith("m") and 0 <= preview["probability"] <= 1
        assert any(r["text"].startswith("model: ") for r in preview["reasons"])
        broker_port = int(
            json.loads((tmp_path / "state" / "stack.json").read_text())["bootstrap_servers"].split(":")[1]
        )

        process.send_signal(signal.SIGINT)
        await asyncio.to_thread(process.wait, 60)
        assert process.returncode == 0
        for port in [*ports.values(), broker_port]:
            assert not port_answers("127.0.0.1", port), f"something still listens on {port}"
    finally:
        kill_group(
            process
        )  # on a failure, what it started dies with it (a broker and six services otherwise)
        for name in databases:
            await drop_database(infra.postgres_dsn, name)
