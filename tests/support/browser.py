"""Headless Chromium driven by selenium, for the tests of the inspector page.

Both are test-only extras: without selenium, or without the ``chromium`` and
``chromium-driver`` packages, the browser tests skip, unless
``FAKESERVER_REQUIRE_EXTRAS=1`` (CI), where a missing browser fails them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import unittest
from typing import Any, Callable

from . import import_extra

__all__ = ["chromium", "start_chromium", "wait_until"]

#: Flags that keep Chromium quiet and local: no sandbox (CI runs as root), no
#: background traffic, no first-run pages; a fresh profile per browser.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars")


def _find(*names: str) -> str | None:
    return next((path for path in map(shutil.which, names) if path), None)


def chromium(profile: str, downloads: str | None = None, *, size: str = "1280,800") -> Any:
    """A headless Chromium with a fresh *profile* directory; the caller quits it.

    Its console log is kept (``driver.get_log("browser")``); files it
    downloads go to *downloads*. The driver and browser are named outright,
    so that selenium never goes looking for them on the network. Raises
    ``unittest.SkipTest`` (AssertionError where extras are required) when
    selenium or the browser is missing.
    """
    import_extra("selenium")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser = _find("chromium", "chromium-browser", "google-chrome")
    driver_path = _find("chromedriver")
    if browser is None or driver_path is None:
        message = "the browser tests need chromium and chromedriver (apt-get install chromium chromium-driver)"
        if os.environ.get("FAKESERVER_REQUIRE_EXTRAS"):
            raise AssertionError(message)
        raise unittest.SkipTest(message)
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--window-size={size}")
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    if downloads is not None:
        options.add_experimental_option("prefs", {"download.default_directory": downloads,
                                                  "download.prompt_for_download": False})
    return webdriver.Chrome(service=Service(driver_path), options=options)


def start_chromium(test_class: Any, downloads: str | None = None) -> Any:
    """:func:`chromium` for a test class's tests, quit by a class cleanup."""
    profile = tempfile.TemporaryDirectory()
    test_class.addClassCleanup(profile.cleanup)
    driver = chromium(profile.name, downloads)
    test_class.addClassCleanup(driver.quit)
    return driver


def wait_until(condition: Callable[[], Any], timeout: float, message: str) -> Any:
    """Poll *condition* every 10 ms until it returns something true; fail after *timeout*."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{message} (waited {timeout} s)")
        time.sleep(0.01)
