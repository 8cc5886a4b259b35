"""The dashboard in real headless Chromium, from a seeded metrics service: the funnel shows the numbers of the
KPI store, the other panels fill in, the live feed lists handoffs and breaches; a screenshot is saved."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import httpx
import uvicorn
from playwright.async_api import async_playwright

from leadrelay.devkit.testing.browser import LAUNCH_ARGS, chromium_path
from leadrelay.devkit.testing.keys import VIEWER, VIEWER_KEY
from leadrelay.devkit.testing.waiting import wait_until
from leadrelay.metrics.bootstrap import build_app

SCREENSHOT = Path(__file__).resolve().parents[4] / ".leadrelay" / "screenshots" / "metrics-dashboard.png"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_the_dashboard_shows_the_funnel_of_the_kpi_store(settings, script, publish):
    browser_path = chromium_path()  # installs Chromium under CI, skips with the reason elsewhere
    settings = settings.model_copy(update={"port": free_port()})
    server = uvicorn.Server(
        uvicorn.Config(build_app(settings), host="127.0.0.1", port=settings.port, log_level="warning")
    )
    serving = asyncio.create_task(server.serve())
    url = f"http://127.0.0.1:{settings.port}"
    try:
        await wait_until(lambda: _started(server), what="the metrics service")
        await publish(script)

        async def seeded():
            async with httpx.AsyncClient() as http:
                kpis = (await http.get(f"{url}/v1/kpis", headers=VIEWER)).json()["kpis"]
            return kpis["funnel"]["won"] == 1 and kpis["funnel"]["rejected"] == 1

        await wait_until(seeded, what="the scripted events counted", timeout_s=30)
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=browser_path, args=LAUNCH_ARGS)
            try:
                page = await browser.new_page(viewport={"width": 1280, "height": 1000})
                # Without a key the page asks for one and shows no figures.
                await page.goto(url + "/")
                await page.wait_for_selector("#keyform:not([hidden])")
                asked = await page.text_content("#status")
                headers = (await page.request.get(url + "/")).headers
                # The link make run prints carries the viewer key in the fragment, which never reaches the server.
                await page.goto(url + "/#key=" + VIEWER_KEY)
                await page.reload()
                await page.wait_for_selector("#funnel text[data-step='won']")
                funnel = {
                    step: await page.text_content(f"#funnel text[data-step='{step}']")
                    for step in ("leads", "mql", "sql", "handed off", "contacted", "won")
                }
                await page.wait_for_selector("#sources tbody tr")
                sources = await page.eval_on_selector_all(
                    "#sources tbody tr", "rows => rows.map(r => r.innerText)"
                )
                await page.wait_for_selector("#feed li.breach")
                feed = await page.eval_on_selector_all("#feed li", "items => items.map(i => i.className)")
                speed_bars = await page.eval_on_selector_all("#speed rect", "rects => rects.length")
                sla_points = await page.eval_on_selector_all("#sla circle", "circles => circles.length")
                SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
                await page.screenshot(path=str(SCREENSHOT), full_page=True)
            finally:
                await browser.close()
    finally:
        server.should_exit = True
        await serving
    assert asked == "this dashboard needs a viewer key"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert funnel == {"leads": "3", "mql": "2", "sql": "2", "handed off": "2", "contacted": "2", "won": "1"}
    assert any(row.startswith("web_form\t2\t1\t1\t5000") for row in sources), sources
    assert sorted(feed) == ["breach", "handoff", "handoff"]
    assert speed_bars == 16 and sla_points == 1
    assert SCREENSHOT.stat().st_size > 10_000


async def _started(server: uvicorn.Server) -> bool:
    return bool(server.started)
