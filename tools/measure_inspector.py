"""Measure the inspector page: ``python tools/measure_inspector.py [--sizes 1000,10000]``.

Prints three figures, measured in headless Chromium (selenium, Debian's
``chromium`` and ``chromium-driver``):

- the page's size: its HTML, CSS, JavaScript and icon, as served;
- the time from a request to its row appearing: the page itself sends
  ``fetch("/ping-N")`` and a MutationObserver notes when the row shows
  (median and worst of 20);
- for journals of growing size, the time from opening the page to its
  newest rows shown, and to every exchange counted.
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import sys
import tempfile
import threading
import time
from contextlib import closing

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from fakeserver import AppRunner, Recorder  # noqa: E402
from fakeserver._inspector.app import InspectorApp  # noqa: E402
from tests.support.browser import chromium  # noqa: E402

#: In the page: fetch a new path, resolve with the milliseconds until its row is listed.
ROUND_TRIP = """
const [path, done] = arguments;
const start = performance.now();
const observer = new MutationObserver(() => {
  if (document.getElementById("rows-requests").innerText.includes(path)) {
    observer.disconnect();
    done(performance.now() - start);
  }
});
observer.observe(document.getElementById("rows-requests"), {childList: true, subtree: true, characterData: true});
fetch(path);
"""


def answer(environ: dict, start_response: object) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])  # type: ignore[operator]
    return [b"ok\n"]


def page_size() -> int:
    folder = os.path.join(ROOT, "fakeserver", "_inspector", "static")
    return sum(os.path.getsize(os.path.join(folder, name)) for name in os.listdir(folder))


def fill(runner: AppRunner, count: int, threads: int = 4) -> None:
    """Send *count* requests over kept-alive connections."""
    def worker(share: int, offset: int) -> None:
        with closing(http.client.HTTPConnection(*runner.address, timeout=30)) as connection:
            for number in range(share):
                connection.request("GET", f"/journal/{offset + number}?q=x")
                connection.getresponse().read()
    shares = [count // threads + (i < count % threads) for i in range(threads)]
    workers = [threading.Thread(target=worker, args=(share, sum(shares[:i])))
               for i, share in enumerate(shares)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,5000,10000,20000,50000",
                        help="journal sizes to open the page on (default: %(default)s)")
    args = parser.parse_args()
    print(f"page size: {page_size():,} bytes (HTML, CSS, JavaScript, icon; uncompressed)")
    with tempfile.TemporaryDirectory() as profile:
        driver = chromium(profile)
        try:
            with AppRunner(answer, inspector=True) as runner:
                driver.get(runner.inspector_url)
                while driver.find_element("id", "connection").text != "live":
                    time.sleep(0.01)
                times = [driver.execute_async_script(ROUND_TRIP, f"/ping-{n}-") for n in range(20)]
                print(f"request to row: median {statistics.median(times):.1f} ms, "
                      f"worst {max(times):.1f} ms (20 requests, measured in the page)")
            for size in map(int, args.sizes.split(",")):
                recorder = Recorder(answer, limit=size)
                with AppRunner(InspectorApp(recorder)) as runner:
                    fill(runner, size)
                    started = time.monotonic()
                    driver.get(runner.url + "/__fakeserver__/")
                    first = None
                    while driver.find_element("id", "count-requests").text != str(size):
                        if first is None and driver.find_elements("css selector", "#rows-requests tr"):
                            first = time.monotonic() - started
                        time.sleep(0.005)
                    rendered = driver.execute_script(
                        "return document.querySelectorAll('#rows-requests tr').length")
                    whole = time.monotonic() - started
                    print(f"journal of {size:>6,}: newest rows shown in {first or whole:.2f} s, "
                          f"all {size:,} counted in {whole:.2f} s ({rendered} rows rendered, "
                          f"the rest behind 'show more')")
                    recorder.clear()
        finally:
            driver.quit()


if __name__ == "__main__":
    main()
