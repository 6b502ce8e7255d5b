"""History in and out, and retries across a crash, against the real binary: `versioner export`
from one server and `versioner import` into an empty one give the same state; an answer kept
for an Idempotency-Key is replayed after kill -9."""

import json
import os
import secrets
import signal
import subprocess
import tempfile
import urllib.request

from conftest import BINARY, launch


def post(server, path, body, headers=None):
    request = urllib.request.Request(server.url + path, data=body.encode(), method="POST", headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {server.admin_key}", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def comparable(value):
    """An answer without what two servers holding the same history do not share: ids."""
    if isinstance(value, dict):
        return {key: comparable(item) for key, item in value.items()
                if key != "id" and not key.endswith("_id") and not key.endswith("_ids")}
    if isinstance(value, list):
        return [comparable(item) for item in value]
    return value


def get_json(server, path):
    status, _, body = server.request("GET", path, key=server.admin_key)
    assert status == 200, body
    return json.loads(body)


def cli(server, *arguments, stdin=None):
    return subprocess.run([BINARY, *arguments, "--server", server.url], capture_output=True, timeout=120, input=stdin,
                          env=dict(os.environ, VERSIONER_API_KEY=server.admin_key))


def test_export_then_import_gives_the_same_state(tmp_path):
    key = "sk_local_" + secrets.token_hex(6) + "_" + secrets.token_urlsafe(32)
    with tempfile.TemporaryDirectory(prefix="versioner-live-") as first, tempfile.TemporaryDirectory(prefix="versioner-live-") as second:
        with launch(first, key) as source, launch(second, key) as target:
            for number in range(30):
                product = f"service-{number % 4}"
                body = {"product_name": product, "version": f"1.{number}", "environment_name": ["staging", "production"][number % 2],
                        "status": "started", "invoke_id": f"run-{number}", "deployed_by": "ci"}
                assert post(source, "/deployment-events/", json.dumps(body))[0] == 200
                body["status"] = "failed" if number % 7 == 6 else "success"
                assert post(source, "/deployment-events/", json.dumps(body))[0] == 200
                build = {"product_name": product, "version": f"1.{number}", "status": "success", "scm_sha": f"{number:07x}"}
                assert post(source, "/build-events/", json.dumps(build))[0] == 200

            history = tmp_path / "history.ndjson"
            exported = cli(source, "export", "--output", str(history))
            assert exported.returncode == 0, exported.stderr.decode()
            assert len(history.read_text().splitlines()) == 90

            imported = cli(target, "import", str(history))
            assert imported.returncode == 0, imported.stderr.decode()
            assert b"imported 90 events" in imported.stdout
            for question in ["/state/", "/insights/dora/?since=2026-01-01T00:00:00Z&until=2026-12-31T00:00:00Z", "/deployments/?limit=100"]:
                assert comparable(get_json(target, question)) == comparable(get_json(source, question)), question
            # Builds list by id, and an import makes new ids in its own order: compared as sets.
            builds = lambda server: sorted(json.dumps(comparable(item), sort_keys=True) for item in get_json(server, "/builds/?limit=100"))
            assert builds(target) == builds(source)

            # A bad line: the command fails, names the line, and nothing is recorded.
            bad = tmp_path / "bad.ndjson"
            bad.write_text(history.read_text().splitlines()[0] + "\n{\"type\": \"build\"}\n")
            refused = cli(target, "import", str(bad))
            assert refused.returncode != 0
            assert b"line 2: event" in refused.stderr
            assert len(get_json(target, "/events/?limit=1000")) == 90


def test_a_kept_answer_is_replayed_after_kill_9():
    key = "sk_local_" + secrets.token_hex(6) + "_" + secrets.token_urlsafe(32)
    body = json.dumps({"product_name": "billing", "version": "2.0", "environment_name": "production", "status": "success"})
    with tempfile.TemporaryDirectory(prefix="versioner-live-") as data_dir:
        with launch(data_dir, key) as running:
            status, _, first = post(running, "/deployment-events/", body, {"Idempotency-Key": "deploy-billing-2.0"})
            assert status == 200
            running.process.send_signal(signal.SIGKILL)
            running.process.wait(timeout=30)
        with launch(data_dir, key) as restarted:
            status, headers, again = post(restarted, "/deployment-events/", body, {"Idempotency-Key": "deploy-billing-2.0"})
            assert status == 200
            assert headers.get("Idempotent-Replayed") == "true"
            assert again == first
            assert len(get_json(restarted, "/deployments/")) == 1
