"""Live checks against the real `versioner` binary: the OpenAPI document, contract fuzzing,
metrics, the event stream, and the docs page and the dashboard in a browser. Each test module gets its own server on a free port of
127.0.0.1 and a temporary data directory; every wait is bounded."""

import contextlib
import os
import pathlib
import re
import secrets
import select
import shutil
import subprocess
import tempfile
import time
import urllib.request

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

ROOT = pathlib.Path(__file__).resolve().parents[2]
BINARY = os.environ.get("VERSIONER_BIN", str(ROOT / ".build" / "debug" / "versioner"))
START_TIMEOUT = 60
# How long a browser waits for a page to show something.
WAIT = 30
# Where the browser checks save their screenshots (named in the test log).
SCREENSHOTS = pathlib.Path(os.environ.get("VERSIONER_SCREENSHOTS", tempfile.gettempdir() + "/versioner-screenshots"))
SCREENSHOTS.mkdir(parents=True, exist_ok=True)
print(f"screenshots of the browser checks: {SCREENSHOTS}")


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium through chromedriver (Debian: chromium, chromium-driver)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not chromium or not driver_path:
        pytest.fail("chromium and chromium-driver are needed (Debian: apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1400,900"]:
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(WAIT)
    try:
        yield driver
    finally:
        driver.quit()


class Server:
    def __init__(self, url, admin_key, process, log_path):
        self.url = url
        self.admin_key = admin_key
        self.process = process
        self.log_path = log_path

    def request(self, method, path, body=None, key=None, expect=None):
        """Sends one request; returns (status, headers, body bytes)."""
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        request = urllib.request.Request(self.url + path, data=body.encode() if body is not None else None,
                                         headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()


@pytest.fixture(scope="module")
def server():
    """A running server on a temporary data directory, stopped after the module."""
    admin_key = "sk_local_" + secrets.token_hex(6) + "_" + secrets.token_urlsafe(32)
    with tempfile.TemporaryDirectory(prefix="versioner-live-") as data_dir:
        with launch(data_dir, admin_key) as running:
            yield running


@contextlib.contextmanager
def launch(data_dir, admin_key, *arguments):
    """Starts `versioner serve` on `data_dir`/data: waits for its 'ready to serve' line (and the
    port it chose), and stops it after (unless the test killed it). No secret may reach its log."""
    if not os.path.exists(BINARY):
        pytest.fail(f"{BINARY} is missing: build it first (swift build)")
    log_path = pathlib.Path(data_dir) / f"server-{secrets.token_hex(3)}.log"
    environment = dict(os.environ, VERSIONER_ADMIN_KEY=admin_key)
    process = subprocess.Popen(
        [BINARY, "serve", "--port", "0", "--data-dir", data_dir + "/data", *arguments],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=environment)
    port = None
    deadline = time.monotonic() + START_TIMEOUT
    output = b""
    descriptor = process.stdout.fileno()
    # Raw reads (never Python's buffered readline, which could hold the awaited line back
    # while select waits on an empty pipe).
    while not (port and b"ready to serve" in output):
        remaining = deadline - time.monotonic()
        if remaining <= 0 or process.poll() is not None:
            process.kill()
            pytest.fail("the server did not start:\n" + output.decode(errors="replace"))
        ready, _, _ = select.select([descriptor], [], [], remaining)
        if ready:
            output += os.read(descriptor, 65536)
            found = re.search(rb"http\.port=(\d+)", output)
            if found:
                port = int(found.group(1))
    log_path.write_bytes(output)
    # Keep draining the server's output so that it never blocks on a full pipe.
    drain = subprocess.Popen(["cat"], stdin=process.stdout, stdout=open(log_path, "ab"))
    try:
        yield Server(f"http://127.0.0.1:{port}", admin_key, process, log_path)
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        drain.wait(timeout=10)
        log_text = log_path.read_text(errors="replace")
        # No secret ever reaches a log line.
        assert admin_key not in log_text
