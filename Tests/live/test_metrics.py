"""GET /metrics parses with the Prometheus text parser, and its counters move when events arrive."""

import json
import shutil
import subprocess
import time

from prometheus_client.parser import text_string_to_metric_families


def scrape(server):
    status, headers, body = server.request("GET", "/metrics")
    assert status == 200
    assert headers["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_parse_and_move(server):
    before = scrape(server)
    for name in ["versioner_products", "versioner_deployments", "versioner_recovery_duration_seconds",
                 "versioner_snapshots_total"]:
        assert (name, ()) in before, name

    for number in range(3):
        body = json.dumps({"product_name": "metrics-check", "version": f"1.0.{number}",
                           "environment_name": "production", "status": "success"})
        status, _, _ = server.request("POST", "/deployment-events/", body, key=server.admin_key)
        assert status == 200
    status, _, _ = server.request("POST", "/build-events/",
                                  json.dumps({"product_name": "metrics-check", "version": "2.0"}), key=server.admin_key)
    assert status == 200
    status, _, _ = server.request("POST", "/admin/snapshots/", key=server.admin_key)
    assert status == 201

    after = scrape(server)
    accepted = "versioner_events_accepted_total"
    assert value(after, accepted, type="deployment.completed") - value(before, accepted, type="deployment.completed") == 3
    assert value(after, accepted, type="build.completed") - value(before, accepted, type="build.completed") == 1
    requests = "versioner_http_requests_total"
    labels = dict(method="POST", route="/deployment-events/", status="200")
    assert value(after, requests, **labels) - value(before, requests, **labels) == 3
    assert value(after, "versioner_journal_appends_total") - value(before, "versioner_journal_appends_total") >= 4
    assert value(after, "versioner_journal_fsync_duration_seconds_count") >= 1
    assert value(after, "versioner_journal_batch_records_count") >= 1
    assert value(after, "versioner_snapshots_total") - value(before, "versioner_snapshots_total") == 1
    assert value(after, "versioner_snapshot_size_bytes") > 0
    assert value(after, "versioner_snapshot_duration_seconds_count") >= 1
    assert value(after, "versioner_products") == value(before, "versioner_products") + 1
    assert value(after, "versioner_deployments") == value(before, "versioner_deployments") + 3


def test_promtool_finds_nothing(server):
    """Prometheus' own linter (Debian package `prometheus`) accepts the exposition as it is."""
    promtool = shutil.which("promtool")
    assert promtool, "promtool is not installed (Debian package prometheus)"
    status, _, body = server.request("GET", "/metrics")
    assert status == 200
    checked = subprocess.run([promtool, "check", "metrics"], input=body, capture_output=True, timeout=30)
    assert checked.returncode == 0 and checked.stdout == b"" and checked.stderr == b"", checked.stdout + checked.stderr


def test_process_metrics(server):
    samples = scrape(server)
    for name in ["process_resident_memory_bytes", "process_cpu_seconds_total", "process_open_fds",
                 "process_start_time_seconds"]:
        assert value(samples, name) > 0, name
    assert value(samples, "process_start_time_seconds") <= time.time()
