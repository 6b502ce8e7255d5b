"""The high-availability harness: a PostgreSQL primary with a synchronous streaming standby,
three Versioner nodes sharing the journal on it, load from several threads against all three,
and one fault at a time. After each round it checks that nothing acknowledged was lost.

Everything runs on 127.0.0.1 in temporary directories, on free ports, and stops by itself.
PostgreSQL refuses to run as root, so as root its commands run as the `postgres` user.

    python3 Tests/live/ha.py --rounds 20      # the benchmark: every fault kind, 20 rounds each
    python3 -m pytest -q Tests/live/test_ha.py  # the same checks, 3 rounds each, in CI
"""

import argparse
import json
import os
import pathlib
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[2]
BINARY = os.environ.get("VERSIONER_BIN", str(ROOT / ".build" / "debug" / "versioner"))
PGBIN = pathlib.Path(os.environ.get("PGBIN", "/usr/lib/postgresql/15/bin"))
# A standby takes over from an owner silent for this long (the smallest the server accepts).
HEARTBEAT_TIMEOUT = 2
# Every wait for a condition is bounded by this many seconds.
WAIT = 30


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition, what, timeout=WAIT, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def as_postgres(arguments, **options):
    """Runs a PostgreSQL program, as the `postgres` user when this process is root."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run(prefix + arguments, check=True, capture_output=True, text=True, timeout=120, **options)


class PostgresPair:
    """A primary and one synchronous standby. Both keep their ports across a failover: the
    promoted standby serves on its port, and a new standby is made on the dead primary's, so
    the journal URL (which lists both) never changes."""

    def __init__(self, root):
        self.root = pathlib.Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        # The postgres user must reach its directories through the (private) temporary one.
        os.chmod(self.root.parent, 0o755)
        self.slots = [{"port": free_port(), "dir": None}, {"port": free_port(), "dir": None}]
        self.primary = 0
        self.generation = 0
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")

    @property
    def url(self):
        hosts = ",".join(f"127.0.0.1:{slot['port']}" for slot in self.slots)
        return f"postgres://postgres@{hosts}/versioner"

    def _new_dir(self, name):
        self.generation += 1
        path = self.root / f"{name}-{self.generation}"
        return path

    def _start(self, slot):
        as_postgres([str(PGBIN / "pg_ctl"), "-D", str(slot["dir"]), "-w", "-l", str(slot["dir"]) + ".log", "start",
                     "-o", f"-p {slot['port']} -k {self.root} -c listen_addresses=127.0.0.1"])

    def psql(self, sql, slot=None):
        slot = self.slots[self.primary if slot is None else slot]
        result = subprocess.run(["psql", "-X", "-A", "-t", "-h", "127.0.0.1", "-p", str(slot["port"]), "-U", "postgres",
                                 "-d", "versioner", "-c", sql], check=True, capture_output=True, text=True, timeout=60)
        return result.stdout.strip()

    def start(self, standby=True):
        primary = self.slots[self.primary]
        primary["dir"] = self._new_dir("primary")
        as_postgres([str(PGBIN / "initdb"), "-D", str(primary["dir"]), "-A", "trust", "-U", "postgres"])
        self._start(primary)
        subprocess.run(["psql", "-X", "-h", "127.0.0.1", "-p", str(primary["port"]), "-U", "postgres", "-c",
                        "CREATE DATABASE versioner"], check=True, capture_output=True, timeout=60)
        if standby:
            self.make_standby()

    def stop_primary(self):
        """A clean stop of the primary (the database going away for a while)."""
        as_postgres([str(PGBIN / "pg_ctl"), "-D", str(self.slots[self.primary]["dir"]), "-m", "fast", "-w", "stop"])

    def start_primary(self):
        self._start(self.slots[self.primary])

    def make_standby(self):
        """A streaming standby of the primary (pg_basebackup -R), then made synchronous: from
        then on a commit returns only once the standby has it."""
        standby = self.slots[1 - self.primary]
        primary = self.slots[self.primary]
        standby["dir"] = self._new_dir("standby")
        as_postgres([str(PGBIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary["port"]), "-U", "postgres",
                     "-D", str(standby["dir"]), "-R", "-X", "stream"])
        # The name the primary waits for. The primary's own setting was made after the copy,
        # so a promoted standby never waits for a standby of its own (the trap of a promoted
        # standby that inherits synchronous_standby_names and hangs every commit).
        with open(standby["dir"] / "postgresql.auto.conf", "a") as conf:
            conf.write(f"primary_conninfo = 'host=127.0.0.1 port={primary['port']} user=postgres application_name=standby'\n")
            conf.write("synchronous_standby_names = ''\n")
        self._start(standby)
        self.psql("ALTER SYSTEM SET synchronous_standby_names = 'ANY 1 (standby)'")
        self.psql("SELECT pg_reload_conf()")
        wait_until(lambda: self.psql("SELECT count(*) FROM pg_stat_replication WHERE sync_state IN ('sync', 'quorum')") == "1",
                   "the standby to replicate synchronously")

    def kill_primary(self):
        """kill -9 of the primary's postmaster (its backends follow), then promotion of the standby."""
        primary = self.slots[self.primary]
        pid = int((primary["dir"] / "postmaster.pid").read_text().split()[0])
        os.kill(pid, signal.SIGKILL)
        wait_until(lambda: not pid_alive(pid), "the killed primary to exit")
        # Its backends notice the postmaster's death and exit within moments.
        time.sleep(0.2)
        promoted = self.slots[1 - self.primary]
        as_postgres([str(PGBIN / "pg_ctl"), "-D", str(promoted["dir"]), "-w", "promote"])
        self.primary = 1 - self.primary
        old = primary["dir"]
        shutil.rmtree(old, ignore_errors=True)

    def stop(self):
        for slot in self.slots:
            if slot["dir"] and (slot["dir"] / "postmaster.pid").exists():
                try:
                    as_postgres([str(PGBIN / "pg_ctl"), "-D", str(slot["dir"]), "-m", "immediate", "stop"])
                except subprocess.CalledProcessError:
                    pass


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (killed, not yet reaped) is gone for our purpose.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


class Node:
    """One `versioner serve` process on the shared journal."""

    def __init__(self, name, root, journal_url, admin_key):
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = pathlib.Path(root) / name
        self.journal_url = journal_url
        self.admin_key = admin_key
        self.process = None
        self.log = pathlib.Path(root) / f"{name}.log"

    def start(self):
        environment = dict(os.environ, VERSIONER_ADMIN_KEY=self.admin_key, VERSIONER_JOURNAL=self.journal_url)
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [BINARY, "serve", "--port", str(self.port), "--data-dir", str(self.data_dir), "--node-name", self.name,
                 "--advertise-url", self.url, "--heartbeat-timeout", str(HEARTBEAT_TIMEOUT), "--snapshot-every", "500",
                 "--journal-wait"],
                stdout=log, stderr=subprocess.STDOUT, env=environment)
        wait_until(lambda: self.ready() is not None, f"{self.name} to be ready")

    def ready(self):
        """The /ready answer when 200, else None."""
        if not self.alive():
            return None
        try:
            status, body = request(self.url, "GET", "/ready", timeout=2)
        except OSError:
            return None
        return json.loads(body) if status == 200 else None

    def kill(self, sig=signal.SIGKILL):
        self.process.send_signal(sig)
        if sig in (signal.SIGKILL, signal.SIGTERM):
            self.process.wait(timeout=WAIT)

    def alive(self):
        return self.process is not None and self.process.poll() is None


def request(base, method, path, body=None, key=None, timeout=5):
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    data = json.dumps(body).encode() if body is not None else None
    outgoing = urllib.request.Request(base + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(outgoing, timeout=timeout) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


class Load:
    """Threads that send deployment events to the nodes in turn, as pipelines would: each
    answered 2xx is remembered (its event id), a failure moves on to the next node."""

    def __init__(self, nodes, key, threads=4):
        self.nodes = nodes
        self.key = key
        self.threads = threads
        self.acked = {}
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.successes = []  # times of 2xx answers
        self.workers = []
        self.sequence = 0

    def _worker(self, index):
        turn = index
        while not self.stopping.is_set():
            with self.lock:
                self.sequence += 1
                number = self.sequence
            node = self.nodes[turn % len(self.nodes)]
            turn += 1
            if not node.alive():
                continue
            sent = time.monotonic()
            body = {"product_name": f"service-{number % 23}", "version": f"1.{number}",
                    "environment_name": random.choice(["dev", "staging", "production"]), "status": "completed"}
            try:
                status, answer = request(node.url, "POST", "/deployment-events/", body, self.key, timeout=3)
            except OSError:
                time.sleep(0.02)
                continue
            if 200 <= status < 300:
                event = json.loads(answer)
                with self.lock:
                    self.acked[event["event_id"]] = node.name
                    # When it was sent: an answer relayed late for a request sent before a fault
                    # does not count as the service being back.
                    self.successes.append(sent)
            else:
                time.sleep(0.02)

    def start(self):
        self.stopping.clear()
        self.workers = [threading.Thread(target=self._worker, args=(i,), daemon=True) for i in range(self.threads)]
        for worker in self.workers:
            worker.start()

    def stop(self):
        self.stopping.set()
        for worker in self.workers:
            worker.join(timeout=WAIT)

    def first_success_after(self, instant):
        with self.lock:
            later = [t for t in self.successes if t > instant]
        return min(later) if later else None


class Cluster:
    def __init__(self, root):
        self.root = pathlib.Path(root)
        self.postgres = PostgresPair(self.root / "pg")
        self.admin_key = "sk_local_" + os.urandom(6).hex() + "_" + os.urandom(24).hex()
        self.nodes = []

    def start(self, count=3):
        self.postgres.start()
        self.nodes = [Node(f"node{i + 1}", self.root, self.postgres.url, self.admin_key) for i in range(count)]
        for node in self.nodes:
            node.start()

    def stop(self):
        for node in self.nodes:
            if node.alive():
                node.kill(signal.SIGTERM)
        self.postgres.stop()

    def owner(self):
        """The node that owns the journal, once one does."""
        def find():
            for node in self.nodes:
                if node.alive():
                    ready = node.ready()
                    if ready and ready.get("role") == "owner":
                        return node
            return None
        return wait_until(find, "a node to own the journal")

    def get(self, node, path):
        status, body = request(node.url, "GET", path, key=self.admin_key, timeout=10)
        assert status == 200, f"{node.name} {path}: {status} {body[:200]!r}"
        return body

    def event_ids(self, node):
        """Every event id in the node's audit log, page by page (following `Link: rel="next"`)."""
        ids = set()
        path = "/events/?limit=1000"
        while path:
            outgoing = urllib.request.Request(node.url + path, headers={"Authorization": f"Bearer {self.admin_key}"})
            with urllib.request.urlopen(outgoing, timeout=10) as answer:
                ids.update(event["id"] for event in json.loads(answer.read()))
                link = answer.headers.get("Link") or ""
            found = re.search(r'<([^>]+)>;\s*rel="next"', link)
            path = None
            if found:
                target = found.group(1)
                path = target[len(node.url):] if target.startswith("http") else target
        return ids

    def settle(self):
        """Waits until every live node has applied the whole journal."""
        end = int(self.postgres.psql("SELECT coalesce(max(seq), 0) FROM versioner_journal"))

        def caught_up():
            for node in self.nodes:
                if not node.alive():
                    continue
                ready = node.ready()
                if not ready or ready.get("applied", -1) < end:
                    return False
            return True
        wait_until(caught_up, f"every node to apply the journal up to {end}")

    def check(self, load):
        """After a round: nothing acknowledged is missing anywhere; every node answers the same
        state; the journal has no gap and its epochs never decrease."""
        self.settle()
        live = [node for node in self.nodes if node.alive()]
        for node in live:
            held = self.event_ids(node)
            missing = [event for event in load.acked if event not in held]
            assert not missing, f"{node.name} lacks {len(missing)} acknowledged events, such as {missing[:3]}"
        states = {node.name: json.loads(self.get(node, "/state/")) for node in live}
        first = next(iter(states.values()))
        for name, state in states.items():
            assert state == first, f"{name}'s /state/ differs from {live[0].name}'s"
        gaps = self.postgres.psql("""
            SELECT count(*) FROM (SELECT seq, lag(seq) OVER (ORDER BY seq) AS previous FROM versioner_journal) AS s
            WHERE previous IS NOT NULL AND seq <> previous + 1""")
        assert gaps == "0", f"the journal has {gaps} gaps"
        first_seq = self.postgres.psql("SELECT coalesce(min(seq), 1) FROM versioner_journal")
        assert first_seq == "1", f"the journal begins at {first_seq}"
        decreasing = self.postgres.psql("""
            SELECT count(*) FROM (SELECT epoch, lag(epoch) OVER (ORDER BY seq) AS previous FROM versioner_journal) AS e
            WHERE epoch < previous""")
        assert decreasing == "0", f"epochs decrease {decreasing} times along the journal"

    def conflicting_shas(self):
        """Two builds giving one version different SHAs, sent to two nodes at once: exactly one
        is accepted, the other is a 409."""
        version = f"conflict-{os.urandom(4).hex()}"
        nodes = [node for node in self.nodes if node.alive()][:2]
        barrier = threading.Barrier(2)
        answers = []

        def send(node, sha):
            barrier.wait()
            # A 503 while a partition changes owner (just after a fault round) says "retry in a
            # second": retry as the CLI does, for at most its ~7 s.
            for _ in range(7):
                status = request(node.url, "POST", "/build-events/",
                                 {"product_name": "conflicts", "version": version, "status": "completed", "scm_sha": sha},
                                 self.admin_key)[0]
                if status != 503:
                    break
                time.sleep(1)
            answers.append(status)
        senders = [threading.Thread(target=send, args=(node, sha * 40)) for node, sha in zip(nodes, "ab")]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join(timeout=WAIT)
        assert sorted(answers) in ([200, 409], [201, 409]), f"conflicting SHAs answered {answers}"


def fault_kill_owner(cluster, load):
    owner = cluster.owner()
    killed = time.monotonic()
    owner.kill(signal.SIGKILL)
    successor = cluster.owner()
    served = wait_until(lambda: load.first_success_after(killed), "a write to succeed after the kill")
    owner.start()
    assert owner.ready()["role"] == "standby"
    return {"owner": owner.name, "successor": successor.name, "unavailable_s": served - killed}


def fault_stall_owner(cluster, load):
    owner = cluster.owner()
    stalled = time.monotonic()
    owner.kill(signal.SIGSTOP)
    successor = wait_until(lambda: next((n for n in cluster.nodes if n is not owner and (n.ready() or {}).get("role") == "owner"), None),
                           "another node to take over from the stalled owner")
    served = wait_until(lambda: load.first_success_after(stalled), "a write to succeed after the stall")
    # Two more seconds stopped, then resumed: its session was ended, so it can commit nothing.
    time.sleep(2)
    owner.kill(signal.SIGCONT)
    wait_until(lambda: (owner.ready() or {}).get("role") == "standby", "the resumed owner to stand by")
    return {"owner": owner.name, "successor": successor.name, "unavailable_s": served - stalled}


def fault_kill_primary(cluster, load):
    killed = time.monotonic()
    cluster.postgres.kill_primary()
    cluster.owner()
    served = wait_until(lambda: load.first_success_after(killed), "a write to succeed after the failover")
    # A new synchronous standby for the next round (on the old primary's port).
    cluster.postgres.make_standby()
    return {"unavailable_s": served - killed}


def fault_restart_node(cluster, load, keep_snapshot):
    node = random.choice([n for n in cluster.nodes if n.alive()])
    node.kill(signal.SIGTERM)
    if not keep_snapshot:
        shutil.rmtree(node.data_dir / "snapshots", ignore_errors=True)
    node.start()
    return {"node": node.name, "snapshot": keep_snapshot}


FAULTS = {
    "kill_owner": fault_kill_owner,
    "stall_owner": fault_stall_owner,
    "kill_primary": fault_kill_primary,
    "restart_with_snapshot": lambda c, l: fault_restart_node(c, l, True),
    "restart_without_snapshot": lambda c, l: fault_restart_node(c, l, False),
}


def run_round(cluster, fault, load_seconds=1.5):
    load = Load(cluster.nodes, cluster.admin_key)
    load.start()
    time.sleep(load_seconds)
    result = FAULTS[fault](cluster, load)
    time.sleep(load_seconds)
    load.stop()
    cluster.check(load)
    cluster.conflicting_shas()
    result["acked"] = len(load.acked)
    result["fault"] = fault
    return result


def p95(values):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--faults", default=",".join(FAULTS))
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="versioner-ha-") as root:
        if os.environ.get("HA_KEEP"):
            root = tempfile.mkdtemp(prefix="versioner-ha-kept-")
            print(f"keeping the harness's files in {root}", flush=True)
        cluster = Cluster(root)
        try:
            cluster.start()
            results = []
            for fault in options.faults.split(","):
                for number in range(options.rounds):
                    result = run_round(cluster, fault)
                    results.append(result)
                    print(json.dumps(result), flush=True)
            print()
            print("| fault | rounds | acknowledged | lost | write unavailability p50 / p95 / max |")
            print("|---|---|---|---|---|")
            for fault in options.faults.split(","):
                rows = [r for r in results if r["fault"] == fault]
                windows = [r["unavailable_s"] for r in rows if "unavailable_s" in r]
                timing = (f"{statistics.median(windows):.2f} / {p95(windows):.2f} / {max(windows):.2f} s"
                          if windows else "—")
                print(f"| {fault} | {len(rows)} | {sum(r['acked'] for r in rows)} | 0 | {timing} |")
        except Exception:
            for node in cluster.nodes:
                print(f"--- {node.name} log (tail) ---", file=sys.stderr)
                lines = [line for line in node.log.read_text(errors="replace").splitlines() if "http.method" not in line]
                print("\n".join(lines[-40:]), file=sys.stderr)
            raise
        finally:
            cluster.stop()


if __name__ == "__main__":
    main()
