"""Real-browser tests: Playwright drives Debian's Chromium against the live test server.

Screenshots of every page visited go to test-artifacts/screenshots/ (git-ignored) for a human look.
"""

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("O2O_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = Path(__file__).resolve().parents[4] / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]

# Playwright's sync API keeps an event loop running in this thread; the test itself still talks to
# the database synchronously, which is safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")


@pytest.fixture(scope="session")
def browser() -> Iterator:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (scripts/chromium-up)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Screen:
    """One person's browser: a context with a phone or desk viewport that records console errors."""

    def __init__(self, browser, base_url: str, name: str, *, wide: bool = False, locale: str = "zh-CN") -> None:
        viewport = {"width": 1366, "height": 900} if wide else {"width": 390, "height": 844}
        self.context = browser.new_context(viewport=viewport, locale=locale, base_url=base_url)
        self.context.set_default_timeout(10_000)
        self.page = self.context.new_page()
        self.name = name
        self.errors: list[str] = []
        self.page.on("console", lambda msg: msg.type == "error" and self.errors.append(msg.text))
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.shots = 0

    def goto(self, path: str):
        response = self.page.goto(path)
        assert response is not None and response.status < 400, f"{path}: {response and response.status}"
        return self.page

    def shot(self, label: str) -> Path:
        self.shots += 1
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        safe = re.sub(r"[^a-z0-9_-]+", "-", f"{self.name}-{self.shots:02d}-{label}".lower())
        path = SCREENSHOTS / f"{safe}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def assert_no_console_errors(self) -> None:
        assert self.errors == [], f"{self.name}: console errors {self.errors}"

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def screens(browser, live_server) -> Iterator:
    opened: list[Screen] = []

    def open_screen(name: str, **kwargs) -> Screen:
        screen = Screen(browser, live_server.url, name, **kwargs)
        opened.append(screen)
        return screen

    yield open_screen
    for screen in opened:
        screen.close()
