"""The inspector page in a real browser: live updates, details, and nothing from the network running.

One headless Chromium for the class (see ``tests.support.browser``); the
page is served by the inspector in front of stubs, with a mail log fed by a
real SMTP server, as ``python -m fakeserver`` serves it.
"""

from __future__ import annotations

import json
import os
import smtplib
import tempfile
import time
import unittest
import urllib.request
from email.message import EmailMessage
from typing import Any

from fakeserver import AppRunner, Recorder, StubApp
from fakeserver._inspector.app import InspectorApp
from fakeserver._inspector.mail import MailLog
from fakeserver.pypi import PackageIndex
from fakeserver.smtp import SMTPServer
from tests.support.browser import start_chromium, wait_until
from tests.support.cli import CLI, get
from tests.support.distributions import build_wheel, distutils_upload, fetch

HOSTILE = '<img src=x onerror="alert(1); window.pwned = 1">'


class InspectorPageTest(unittest.TestCase):
    driver: Any

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        downloads = tempfile.TemporaryDirectory()
        cls.addClassCleanup(downloads.cleanup)
        cls.downloads = downloads.name
        cls.driver = start_chromium(cls, downloads=cls.downloads)
        from selenium.webdriver.common.by import By
        cls.By = By
        cls.stubs = StubApp()
        cls.recorder = Recorder(cls.stubs)
        cls.mail = MailLog()
        cls.smtp = SMTPServer()
        cls.smtp.start()
        cls.addClassCleanup(cls.smtp.stop)
        cls.runner = AppRunner(InspectorApp(cls.recorder, mail=cls.mail))
        cls.runner.start()
        cls.addClassCleanup(cls.runner.stop)

    def setUp(self) -> None:
        self.stubs.reset()
        self.recorder.clear()
        self.mail.clear()
        for name in os.listdir(self.downloads):
            os.remove(os.path.join(self.downloads, name))
        self.driver.get(self.runner.url + "/__fakeserver__/")
        self.driver.get_log("browser")  # what an earlier test left
        wait_until(lambda: self.element("connection").text == "live", 5, "the page never went live")

    # -- helpers -------------------------------------------------------------------------

    def element(self, id_: str) -> Any:
        return self.driver.find_element(self.By.ID, id_)

    def rows(self, kind: str = "requests") -> list[str]:
        """The text of each row listed, top to bottom (read at once: rows change as they update)."""
        return self.driver.execute_script(
            f"return [...document.querySelectorAll('#rows-{kind} tr')].map(row => row.innerText)")

    def send(self, path: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> int:
        request = urllib.request.Request(self.runner.url + path, data=body, headers=headers or {})
        return fetch(request).status

    def open_row(self, text: str, kind: str = "requests") -> Any:
        wait_until(lambda: self.driver.execute_script(
            "const row = [...document.querySelectorAll(`#rows-${arguments[0]} tr`)]"
            ".find(row => row.innerText.includes(arguments[1]));"
            "if (row) row.click(); return Boolean(row)", kind, text), 2, f"no row showing {text!r}")
        pane = self.element(f"details-{kind}")
        wait_until(lambda: pane.is_displayed() and pane.find_elements(self.By.TAG_NAME, "h2"), 2,
                   "the details did not open")
        return pane

    def assertNoConsoleErrors(self) -> None:
        errors = [entry for entry in self.driver.get_log("browser") if entry["level"] == "SEVERE"]
        self.assertEqual(errors, [])

    # -- the tests -------------------------------------------------------------------------

    def test_the_page_loads_without_console_errors(self) -> None:
        self.assertEqual(self.driver.title, "fakeserver inspector")
        self.assertTrue(self.element("tab-requests").is_displayed())
        self.assertTrue(self.element("tab-mail").is_displayed())
        self.assertFalse(self.element("tab-index").is_displayed())
        self.assertNoConsoleErrors()

    def test_a_request_appears_within_a_second_without_reload(self) -> None:
        marker = self.driver.execute_script("return performance.timeOrigin")
        self.stubs.stub("GET", "/fresh").respond(204)
        started = time.monotonic()
        self.assertEqual(self.send("/fresh?n=1"), 204)
        wait_until(lambda: any("/fresh?n=1" in row for row in self.rows()), 1.0,
                   "the request did not appear")
        self.assertLess(time.monotonic() - started, 1.0)
        self.assertEqual(self.driver.execute_script("return performance.timeOrigin"), marker)
        self.assertNoConsoleErrors()

    def test_polling_when_events_are_not_an_option(self) -> None:
        self.driver.get(self.runner.url + "/__fakeserver__/?transport=poll")
        wait_until(lambda: self.element("connection").text == "polling", 5, "no polling")
        self.send("/polled")
        wait_until(lambda: any("/polled" in row for row in self.rows()), 1.0,
                   "the request did not appear")
        self.assertNoConsoleErrors()

    def test_details_show_pretty_json_and_the_hex_view(self) -> None:
        self.stubs.stub("POST", "/items").respond(201, json={"id": 7, "tags": ["a", "b"]})
        self.stubs.stub("GET", "/blob").respond(body=bytes(range(40)))
        self.send("/items", b'{"name":"thing","n":[1,2]}', {"Content-Type": "application/json"})
        self.send("/blob")
        pane = self.open_row("/items")
        bodies = pane.find_elements(self.By.CSS_SELECTOR, "pre.json")
        self.assertEqual([pre.text for pre in bodies],
                         ['{\n  "name": "thing",\n  "n": [\n    1,\n    2\n  ]\n}',
                          '{\n  "id": 7,\n  "tags": [\n    "a",\n    "b"\n  ]\n}'])
        pane.find_element(self.By.CSS_SELECTOR, "button[data-view=hex]").click()  # the request's
        self.assertEqual(pane.find_element(self.By.CSS_SELECTOR, "pre.hex").text.splitlines()[0],
                         "00000000  7b 22 6e 61 6d 65 22 3a  22 74 68 69 6e 67 22 2c  |{\"name\":\"thing\",|")
        pane = self.open_row("/blob")
        wait_until(lambda: "/blob" in pane.find_element(self.By.TAG_NAME, "h2").text, 2, "not /blob")
        [hex_view] = pane.find_elements(self.By.CSS_SELECTOR, "pre.hex")  # binary: hex at once
        self.assertEqual(hex_view.text.splitlines(), [
            "00000000  00 01 02 03 04 05 06 07  08 09 0a 0b 0c 0d 0e 0f  |................|",
            "00000010  10 11 12 13 14 15 16 17  18 19 1a 1b 1c 1d 1e 1f  |................|",
            "00000020  20 21 22 23 24 25 26 27                           | !\"#$%&'|"])
        self.assertNoConsoleErrors()

    def test_markup_from_the_network_is_text_and_runs_nothing(self) -> None:
        self.send("/%3Cscript%3Ealert(2)%3C/script%3E", headers={"X-Evil": HOSTILE})
        pane = self.open_row("<script>alert(2)</script>")
        cells = [cell.text for cell in pane.find_elements(self.By.CSS_SELECTOR, "table.pairs td")]
        self.assertIn(HOSTILE, cells)
        self.assertEqual(pane.find_elements(self.By.CSS_SELECTOR, "img, script"), [])
        self.assertIsNone(self.driver.execute_script("return window.pwned"))
        from selenium.common.exceptions import NoAlertPresentException
        with self.assertRaises(NoAlertPresentException):
            self.driver.switch_to.alert.text
        self.assertNoConsoleErrors()

    def test_mail_html_runs_no_script_and_loads_nothing_remote(self) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = "ann@example.com", "bob@example.com", "Hi"
        message.set_content("plain")
        message.add_alternative(
            f'<p id="hello">Hello</p><script>document.body.dataset.ran = "script"</script>'
            f'<img src=x onerror="document.body.dataset.ran = \'img\'">'
            f'<img src="{self.runner.url}/remote-pixel.png">', subtype="html")
        with smtplib.SMTP(*self.smtp.address, timeout=10) as client:
            client.send_message(message)
        self.mail.add(self.smtp.messages[-1])
        self.element("tab-mail").click()
        pane = self.open_row("Hi", "mail")
        frame = wait_until(lambda: pane.find_elements(self.By.CSS_SELECTOR, "iframe.mail-html"), 2,
                           "no HTML part")[0]
        self.assertEqual(frame.get_attribute("sandbox"), "")
        self.driver.switch_to.frame(frame)
        try:
            hello = wait_until(lambda: self.driver.find_elements(self.By.ID, "hello"), 2,
                               "the HTML part did not load")[0]
            self.assertEqual(hello.text, "Hello")
            body = self.driver.find_element(self.By.TAG_NAME, "body")
            self.assertIsNone(body.get_attribute("data-ran"))
        finally:
            self.driver.switch_to.default_content()
        self.assertNotIn("/remote-pixel.png", [request.path for request in self.recorder.requests])

    def test_the_filter(self) -> None:
        self.stubs.stub("POST", "/api/orders").respond(201, json={"order": "teapot-77"})
        self.send("/api/orders", b'{"item": "kettle"}', {"Content-Type": "application/json"})
        self.send("/api/missing")
        self.send("/static/kettle.png")
        wait_until(lambda: len(self.rows()) == 3, 2, "the rows did not appear")
        for text, shown in (("method:POST", ["/api/orders"]), ("status:4xx", ["/static/kettle.png", "/api/missing"]),
                            ("path:/api", ["/api/missing", "/api/orders"]),
                            ("kettle", ["/static/kettle.png", "/api/orders"]),  # a body holds it
                            ("teapot-77 status:201", ["/api/orders"])):
            with self.subTest(filter=text):
                box = self.element("filter")
                box.clear()
                box.send_keys(text)
                wait_until(lambda: [row.split("\t")[2] for row in self.rows()] == shown, 2,
                           f"the filter {text!r} did not list {shown}: {self.rows()}")

    def test_the_index_tab_lists_projects_releases_and_files(self) -> None:
        with AppRunner(PackageIndex(), inspector=True) as runner:
            for version in ("1.0", "1.1"):
                filename, wheel = build_wheel("demo", version)
                self.assertEqual(distutils_upload(runner.url + "/legacy/", filename, wheel,
                                                  version=version).status, 200)
            self.driver.get(runner.inspector_url)
            self.element("tab-index").click()
            projects = self.element("index-projects")
            wait_until(lambda: projects.find_elements(self.By.CSS_SELECTOR, ".project h3"), 2,
                       "no release listed")
            self.assertEqual(projects.find_element(self.By.CSS_SELECTOR, ".project h2").text, "demo")
            self.assertEqual([h3.text for h3 in projects.find_elements(self.By.CSS_SELECTOR, ".project h3")],
                             ["1.1", "1.0"])
            self.assertIn("demo-1.1-py3-none-any.whl", projects.text)
            self.assertEqual(self.element("count-index").text, "1")
            self.assertNoConsoleErrors()

    def test_clear_empties_the_list(self) -> None:
        for number in range(3):
            self.send(f"/clear-me/{number}")
        wait_until(lambda: len(self.rows()) == 3, 2, "the rows did not appear")
        self.element("clear-requests").click()
        wait_until(lambda: len(self.rows()) == 0, 2, "the list was not emptied")
        self.assertEqual(self.recorder.requests, [])
        self.assertEqual(self.element("count-requests").text, "0")

    def test_the_downloaded_stub_file_replays_with_stubs(self) -> None:
        self.stubs.stub("GET", "/greeting").respond(200, json={"hello": "world"})
        self.stubs.stub("POST", "/orders").respond(201, text="created order 9")
        self.send("/greeting?lang=en")
        self.send("/orders", b"qty=3", {"Content-Type": "application/x-www-form-urlencoded"})
        wait_until(lambda: len(self.rows()) == 2, 2, "the rows did not appear")
        self.element("download-journal").click()
        [path] = wait_until(lambda: [os.path.join(self.downloads, name) for name in os.listdir(self.downloads)
                                     if name.endswith(".json")], 5, "nothing was downloaded")
        cli = CLI(self, "--port", "0", "--stubs", path)
        _, _, port = cli.serving()
        self.assertEqual(get(f"http://127.0.0.1:{port}/greeting?lang=en"), (200, b'{"hello": "world"}'))
        order = urllib.request.Request(f"http://127.0.0.1:{port}/orders", data=b"qty=3", headers={
            "Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(fetch(order)[::3], (201, b"created order 9"))
        with open(path, encoding="utf-8") as file:
            self.assertEqual(len(json.load(file)), 2)


if __name__ == "__main__":
    unittest.main()
