"""High availability on PostgreSQL, with the harness of ha.py: three nodes on a primary with a
synchronous standby, every fault kind for a few rounds (kill -9 of the owner HA_ROUNDS times, 3
by default; the others HA_OTHER_ROUNDS, 2), and the
journal's behaviour when its database is missing, lost, or newer than the server."""

import json
import os
import pathlib
import signal
import subprocess
import tempfile
import time

import pytest

import ha

# kill -9 of the owner, the fault most likely to lose an event, gets the most rounds.
ROUNDS = int(os.environ.get("HA_ROUNDS", "3"))
OTHER_ROUNDS = int(os.environ.get("HA_OTHER_ROUNDS", "2"))


@pytest.fixture(scope="module")
def cluster():
    with tempfile.TemporaryDirectory(prefix="versioner-ha-") as root:
        running = ha.Cluster(root)
        try:
            running.start()
            yield running
        finally:
            running.stop()


@pytest.mark.parametrize("fault", list(ha.FAULTS))
def test_no_acknowledged_event_is_lost(cluster, fault):
    for _ in range(ROUNDS if fault == "kill_owner" else OTHER_ROUNDS):
        result = ha.run_round(cluster, fault, load_seconds=1.0)
        assert result["acked"] > 0, "the load got no write through at all"


def test_reads_are_answered_by_every_node_and_writes_by_the_owner(cluster):
    owner = cluster.owner()
    standby = next(node for node in cluster.nodes if node is not owner)
    status, body = ha.request(standby.url, "POST", "/deployment-events/",
                              {"product_name": "handed-over", "version": "1", "environment_name": "production",
                               "status": "completed"}, cluster.admin_key)
    assert status == 200, body
    cluster.settle()
    for node in cluster.nodes:
        state = json.loads(cluster.get(node, "/state/?product=handed-over"))
        assert state["products"][0]["environments"]["production"]["version"] == "1", node.name
    ready = standby.ready()
    assert ready["role"] == "standby" and ready["owner"] == owner.name and ready["lag"] == 0
    view = json.loads(cluster.get(standby, "/cluster/"))
    assert view["owner"] == owner.name
    assert sorted(member["name"] for member in view["nodes"]) == sorted(node.name for node in cluster.nodes)
    metrics = cluster.get(owner, "/metrics").decode()
    assert "versioner_node_owner 1" in metrics
    assert "versioner_journal_commit_duration_seconds_count" in metrics
    assert "versioner_node_owner 0" in cluster.get(standby, "/metrics").decode()


def test_cluster_status_command_lists_the_nodes(cluster):
    owner = cluster.owner()
    result = subprocess.run([ha.BINARY, "cluster", "status", "--server", owner.url], capture_output=True, text=True,
                            timeout=30, env=dict(os.environ, VERSIONER_API_KEY=cluster.admin_key))
    assert result.returncode == 0, result.stderr
    assert f"owner: {owner.name}" in result.stdout
    for node in cluster.nodes:
        assert node.name in result.stdout


# --- One node on a database of its own -------------------------------------------------------

@pytest.fixture()
def lone_postgres():
    with tempfile.TemporaryDirectory(prefix="versioner-pg-") as root:
        postgres = ha.PostgresPair(pathlib.Path(root) / "pg")
        postgres.start(standby=False)
        try:
            yield postgres, root
        finally:
            postgres.stop()


def serve(journal, data_dir, *extra, wait=True):
    key = "sk_local_" + os.urandom(6).hex() + "_" + os.urandom(24).hex()
    port = ha.free_port()
    log = open(pathlib.Path(data_dir).with_suffix(".log"), "ab")
    process = subprocess.Popen([ha.BINARY, "serve", "--port", str(port), "--data-dir", str(data_dir), *extra],
                               stdout=log, stderr=subprocess.STDOUT,
                               env=dict(os.environ, VERSIONER_ADMIN_KEY=key, VERSIONER_JOURNAL=journal))
    return process, f"http://127.0.0.1:{port}", key


def test_an_unreachable_database_at_start_is_named_without_its_password(tmp_path):
    port = ha.free_port()
    journal = f"postgres://versioner:hunter2secret@127.0.0.1:{port}/versioner"
    result = subprocess.run([ha.BINARY, "serve", "--port", "0", "--data-dir", str(tmp_path / "data")],
                            capture_output=True, text=True, timeout=60, env=dict(os.environ, VERSIONER_JOURNAL=journal))
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert f"postgres://versioner:***@127.0.0.1:{port}/versioner" in output
    assert "hunter2secret" not in output


def test_journal_wait_answers_503_until_the_database_is_there(lone_postgres, tmp_path):
    postgres, _ = lone_postgres
    postgres.stop_primary()
    process, url, key = serve(postgres.url, tmp_path / "data", "--journal-wait")
    try:
        ha.wait_until(lambda: probe(url, "/health") == 200, "the server to answer /health")
        assert probe(url, "/ready") == 503
        assert probe(url, "/products/", key) == 503
        postgres.start_primary()
        ha.wait_until(lambda: probe(url, "/ready") == 200, "the server to be ready once the database is up")
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_a_lost_database_means_503_for_writes_and_answers_from_memory_for_reads(lone_postgres, tmp_path):
    postgres, _ = lone_postgres
    process, url, key = serve(postgres.url, tmp_path / "data")
    try:
        ha.wait_until(lambda: probe(url, "/ready") == 200, "the server to be ready")
        event = {"product_name": "kept", "version": "1", "environment_name": "production", "status": "completed"}
        assert ha.request(url, "POST", "/deployment-events/", event, key)[0] == 200
        postgres.stop_primary()
        # The first write after the loss may be the one that finds it: every write answers 503
        # (never a 2xx without a commit) until the database is back.
        for number in range(5):
            status, _ = ha.request(url, "POST", "/deployment-events/", dict(event, version=f"lost-{number}"), key)
            assert status == 503
        status, body = ha.request(url, "GET", "/state/?product=kept", key=key)
        assert status == 200 and json.loads(body)["products"][0]["environments"]["production"]["version"] == "1"
        assert probe(url, "/ready") == 503
        postgres.start_primary()
        ha.wait_until(lambda: ha.request(url, "POST", "/deployment-events/", dict(event, version="2"), key)[0] == 200,
                      "writes to succeed again")
        status, body = ha.request(url, "GET", "/events/?product=kept&limit=100", key=key)
        versions = sorted(item["version"] for item in json.loads(body))
        assert versions == ["1", "2"], f"only the acknowledged writes are recorded: {versions}"
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_a_schema_from_a_newer_server_is_refused(lone_postgres, tmp_path):
    postgres, _ = lone_postgres
    process, url, _ = serve(postgres.url, tmp_path / "data")
    ha.wait_until(lambda: probe(url, "/ready") == 200, "the server to be ready")
    process.terminate()
    process.wait(timeout=30)
    postgres.psql("INSERT INTO versioner_schema (version) VALUES (999)")
    result = subprocess.run([ha.BINARY, "serve", "--port", "0", "--data-dir", str(tmp_path / "data")],
                            capture_output=True, text=True, timeout=60, env=dict(os.environ, VERSIONER_JOURNAL=postgres.url))
    assert result.returncode != 0
    assert "schema is version 999, newer than this server knows" in result.stdout + result.stderr


def probe(url, path, key=None):
    try:
        return ha.request(url, "GET", path, key=key, timeout=2)[0]
    except OSError:
        return None


def test_a_record_lost_in_a_failover_is_dropped_from_a_follower(lone_postgres, tmp_path):
    """A standby followed a record that the database then no longer has (as after a failover
    to a standby that never got it): on reconnecting, it notices, sets its snapshots aside and
    rebuilds from the journal alone."""
    postgres, _ = lone_postgres
    key = "sk_local_" + os.urandom(6).hex() + "_" + os.urandom(24).hex()
    owner = ha.Node("owner", tmp_path, postgres.url, key)
    standby = ha.Node("standby", tmp_path, postgres.url, key)
    owner.start()
    standby.start()
    try:
        for version in ["1", "2"]:
            status, _ = ha.request(owner.url, "POST", "/deployment-events/",
                                   {"product_name": "kept", "version": version, "environment_name": "production",
                                    "status": "completed"}, key)
            assert status == 200
        last = int(postgres.psql("SELECT max(seq) FROM versioner_journal"))
        ha.wait_until(lambda: (standby.ready() or {}).get("applied") == last, "the standby to follow the journal")
        standby.kill(signal.SIGSTOP)
        owner.kill(signal.SIGKILL)
        # The journal loses its last record, and every session of the standby ends with it.
        postgres.psql(f"DELETE FROM versioner_journal WHERE seq = {last}")
        postgres.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE datname = 'versioner' AND pid <> pg_backend_pid()")
        standby.kill(signal.SIGCONT)
        ha.wait_until(lambda: (standby.ready() or {}).get("role") == "owner", "the standby to take over")
        status, body = ha.request(standby.url, "GET", "/events/?product=kept", key=key)
        assert status == 200
        assert [event["version"] for event in json.loads(body)] == ["1"]
        assert "no longer holds" in standby.log.read_text()
    finally:
        for node in (owner, standby):
            if node.alive():
                node.kill(signal.SIGKILL)
