"""The demo page in real headless Chromium: a plain post without JavaScript, the widget, and the chat box."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import async_playwright
from sqlalchemy import text

from leadrelay.db.engine import create_engine
from leadrelay.devkit.testing.browser import LAUNCH_ARGS, chromium_path
from leadrelay.devkit.testing.kafka import TopicReader
from leadrelay.devkit.testing.waiting import wait_until

SCREENSHOT = Path(__file__).resolve().parents[4] / ".leadrelay" / "screenshots" / "capture-demo.png"


async def fill_demo_form(page, email: str, name: str) -> None:
    await page.fill("#email", email)
    await page.fill("#full_name", name)
    await page.fill("#organisation", "Browser Co")
    await page.fill("#country", "France")
    await page.fill("#phone", "01 23 45 67 89")
    await page.check("input[name=consent_marketing]")


async def test_demo_page_captures_with_and_without_javascript_and_by_chat(capture_process, unique):
    url = capture_process.url
    emails = [
        f"nojs.{unique}@example.com",
        f"widget.{unique}@example.com",
        f"chat.{unique}@example.com",
        f"left.{unique}@example.com",
    ]
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium_path(), args=LAUNCH_ARGS)
        try:
            plain = await (await browser.new_context(java_script_enabled=False)).new_page()
            await plain.goto(f"{url}/demo")
            await fill_demo_form(plain, emails[0], "No Script")
            await plain.click("form[data-leadrelay] button[type=submit]")
            await plain.wait_for_url("**/demo/thanks")
            assert "Thank you" in await plain.content()

            page = await (await browser.new_context()).new_page()
            await page.goto(f"{url}/demo")
            await fill_demo_form(page, emails[1], "With Widget")
            await page.click("form[data-leadrelay] button[type=submit]")
            await page.wait_for_selector(".leadrelay-thanks")
            assert page.url == f"{url}/demo"  # the widget posted by fetch; no navigation

            await page.click(".leadrelay-chat-open")
            await page.fill(".leadrelay-chat-form input[name=email]", emails[2])
            await page.fill(".leadrelay-chat-form textarea[name=message]", "Is there an EU data centre?")
            await page.click(".leadrelay-chat-form button[type=submit]")
            await page.wait_for_selector(f"text=We will reply to {emails[2]}")
            leaving = await (await browser.new_context()).new_page()
            await leaving.goto(f"{url}/demo")
            await leaving.fill("#email", emails[3])
            await leaving.goto("about:blank")  # abandons the form: the widget sends what was typed
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(SCREENSHOT), full_page=True)
        finally:
            await browser.close()
    assert SCREENSHOT.stat().st_size > 0
    engine = create_engine(capture_process.database_url)
    try:
        await wait_until(lambda: _stored(engine, emails[3]), what="the abandoned form's partial lead")
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    text(
                        "SELECT email, source, country, phone, consent_marketing FROM leads WHERE email = ANY(:e)"
                    ),
                    {"e": emails},
                )
            ).all()
    finally:
        await engine.dispose()
    by_email = {r[0]: tuple(r[1:]) for r in rows}
    assert by_email == {
        emails[0]: ("web_form", "FR", "+33123456789", True),
        emails[1]: ("web_form", "FR", "+33123456789", True),
        emails[2]: ("chat", None, None, False),
        emails[3]: ("web_form", None, None, False),
    }
    kafka = capture_process.kafka
    async with TopicReader(kafka.bootstrap_servers, kafka.topics.captured) as reader:
        await reader.wait_for(4, timeout_s=30)
        captured = {m.json()["data"]["contact"]["email"] for m in await reader.settle(0.5)}
    assert set(emails) <= captured


async def _stored(engine, email: str) -> bool:
    async with engine.connect() as conn:
        return bool(await conn.scalar(text("SELECT count(*) FROM leads WHERE email = :e"), {"e": email}))
