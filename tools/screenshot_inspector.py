"""Take the README's screenshot of the inspector page: ``python tools/screenshot_inspector.py``.

Serves a few stubs with the inspector, sends them the traffic of a small
API client (JSON, a query, an upload, a near miss, an app error), opens the
page in headless Chromium and saves what it shows, one JSON exchange
opened, to ``docs/_static/inspector.png``. Needs selenium and Chromium
(Debian: ``apt-get install chromium chromium-driver``).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from fakeserver import AppRunner, Response, StubApp  # noqa: E402
from tests.support.browser import chromium  # noqa: E402

OUTPUT = os.path.join(ROOT, "docs", "_static", "inspector.png")


def declare(stubs: StubApp) -> None:
    items = [{"id": 1, "name": "teapot", "price": 18.5}, {"id": 2, "name": "kettle", "price": 32}]
    stubs.stub("GET", "/api/items").respond(json={"items": items, "page": 2, "next": None})
    stubs.stub("POST", "/api/items").respond(201, json={"id": 3, "name": "mug", "price": 6.0,
                                                        "tags": ["kitchen", "gift"]},
                                             headers={"Location": "/api/items/3"})
    stubs.stub("PUT", "/api/items/{id}").respond(204)
    stubs.stub("POST", "/upload").respond(201, text="stored photo.png\n")
    stubs.stub("GET", "/health").respond(text="ok\n")

    def broken(request: object) -> Response:
        raise KeyError("price")
    stubs.stub("DELETE", "/api/items/{id}").call(broken)


def send(url: str, method: str = "GET", body: bytes | None = None,
         headers: dict[str, str] | None = None) -> None:
    request = urllib.request.Request(url, data=body, method=method, headers={
        "User-Agent": "shop-client/2.1", "Authorization": "Bearer demo-token", **(headers or {})})
    try:
        urllib.request.urlopen(request, timeout=10).read()
    except urllib.error.HTTPError as error:
        error.read()
        error.close()


def traffic(base: str) -> None:
    send(base + "/health")
    send(base + "/api/items?page=2&sort=price")
    send(base + "/api/items", "POST", b'{"name": "mug", "price": 6.0, "tags": ["kitchen", "gift"]}',
         {"Content-Type": "application/json"})
    png = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489")
    boundary = "b0undary"
    upload = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"photo.png\""
              f"\r\nContent-Type: image/png\r\n\r\n").encode() + png + f"\r\n--{boundary}--\r\n".encode()
    send(base + "/upload", "POST", upload, {"Content-Type": f"multipart/form-data; boundary={boundary}"})
    send(base + "/api/items/3", "PUT", b'{"price": 5.5}', {"Content-Type": "application/json"})
    send(base + "/api/users/42")
    send(base + "/api/items/3", "DELETE")
    send(base + "/api/items?page=3&sort=price")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default=OUTPUT, help="where to save the PNG (default: %(default)s)")
    args = parser.parse_args()
    stubs = StubApp()
    declare(stubs)
    with AppRunner(stubs, inspector=True) as runner, tempfile.TemporaryDirectory() as profile:
        driver = chromium(profile, size="1360,780")
        from selenium.webdriver.common.by import By
        try:
            driver.get(runner.inspector_url)
            traffic(runner.url)
            deadline = time.monotonic() + 5
            while len(driver.find_elements(By.CSS_SELECTOR, "#rows-requests tr")) < 8:
                if time.monotonic() > deadline:
                    raise SystemExit("the page did not show the traffic")
                time.sleep(0.05)
            driver.execute_script("[...document.querySelectorAll('#rows-requests tr')]"
                                  ".find(row => row.innerText.includes('POST')"
                                  " && row.innerText.includes('/api/items')).click()")
            time.sleep(0.5)
            os.makedirs(os.path.dirname(args.output), exist_ok=True)
            driver.save_screenshot(args.output)
        finally:
            driver.quit()
    print(f"saved {args.output}")


if __name__ == "__main__":
    main()
