"""Driving Debian's Chromium through the pages: fixtures (in conftest.py) and the helpers every
browser test shares — a page that records console errors, screenshots at desktop and phone width
with an accessibility check (axe-core) and a sideways-scroll check, sign-up and log-in.

Screenshots land in var/screenshots/ (ignored by git).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from sparkcodes import demo

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
PASSWORD = "correct horse"

sync_api = pytest.importorskip("playwright.sync_api",
                               reason="playwright is not installed: pip install -e '.[test]'")
expect = sync_api.expect

def new_page(browser, base_url: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=base_url, viewport=DESKTOP)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.on("dialog", lambda dialog: dialog.accept())  # hx-confirm: the person says yes
    page.on("console", lambda m: _console_problem(f"{page.url}: {m.text}"[:300])
            if m.type == "error" else None)
    page.on("pageerror", lambda exc: _console_problem(f"uncaught: {exc}"))
    return page


_PROBLEMS: list[str] = []


def _console_problem(text: str) -> None:
    # A 4xx answer to an HTMX form is expected (it carries the error to show); anything else
    # in the console — a CSP violation, a script error — is a bug.
    if "Failed to load resource" not in text:
        _PROBLEMS.append(text)


SHOT_TIMEOUT = 60_000  # ms


def shoot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """Desktop and phone screenshots; the page passes axe-core's WCAG 2.1 A/AA checks, and at
    phone width nothing may scroll sideways."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    # A full-page screenshot of a long page can take well over the 10 s default on a busy
    # 2-core machine: a slow screenshot is not a broken page.
    page.screenshot(path=str(SHOTS / f"{name}-desktop.png"), full_page=True, timeout=SHOT_TIMEOUT)
    problems = accessibility_problems(page)
    assert not problems, f"{name}: accessibility problems:\n" + "\n".join(problems)
    page.set_viewport_size(PHONE)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    page.screenshot(path=str(SHOTS / f"{name}-phone.png"), full_page=True, timeout=SHOT_TIMEOUT)
    page.set_viewport_size(DESKTOP)
    assert overflow <= 0, f"{name}: the page scrolls sideways by {overflow}px at 390px wide"


def sign_up(page, email: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/signup")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Hello")).to_be_visible()


def log_in(page, email: str, next_path: str = "/") -> None:  # type: ignore[no-untyped-def]
    page.goto(f"/login?next={next_path}")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(re.escape(next_path) + r"$"))


def logged_in_page(browser, site: str, email: str, password: str = demo.PASSWORD):  # type: ignore[no-untyped-def]
    """A new page of ``site``, logged in as ``email`` (by default a user of the demo)."""
    page = new_page(browser, site)
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Log out").or_(
        page.get_by_role("button", name="Log out"))).to_be_visible()
    return page


def chromium_path() -> str | None:
    return shutil.which("chromium")


def accessibility_problems(page) -> list[str]:  # type: ignore[no-untyped-def]
    """axe-core's WCAG 2.1 A/AA findings on the page as it stands, one line each:
    rule, impact, what it says and where."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": [
        "wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}})
    out = []
    for v in results.response["violations"]:
        targets = ", ".join(str(n["target"][0]) for n in v["nodes"][:3])
        out.append(f"{v['id']} ({v['impact']}, {len(v['nodes'])}×): {v['help']} — {targets}")
    return out
