"""Durable ingest of one node on the PostgreSQL journal against the same node on the file
journal, alternated ROUNDS times in one run so that the machine's drift falls on both alike.
wrk posts new deployments at 64 connections for DURATION seconds against a release
`versioner serve` on a fresh data directory (and, for PostgreSQL, a fresh database on a
temporary server; with --standby, a synchronous streaming standby too).

    python3 Benchmarks/ha/ingest.py [--rounds 3] [--duration 8] [--standby]
"""

import argparse
import os
import pathlib
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "Tests" / "live"))
import ha  # noqa: E402

BINARY = ROOT / ".build" / "release" / "versioner"
LUA = ROOT / "Benchmarks" / "load" / "post-deployment.lua"


def measure(journal, duration, root):
    """Starts the server on `journal`, posts for `duration` seconds, returns (req/s, p50 ms, p99 ms)."""
    key = "sk_local_benchmark0000_" + os.urandom(32).hex()
    port = ha.free_port()
    data = tempfile.mkdtemp(dir=root)
    environment = dict(os.environ, VERSIONER_ADMIN_KEY=key, VERSIONER_JOURNAL=journal)
    server = subprocess.Popen([str(BINARY), "serve", "--port", str(port), "--data-dir", data, "--fsync", "always",
                               "--log-level", "warning", "--snapshot-every", "1000000000", "--node-name", "bench"],
                              env=environment)
    try:
        ha.wait_until(lambda: probe(port), "the server to be ready")
        output = subprocess.run(["wrk", "-t2", "-c64", f"-d{duration}s", "--timeout", "10s", "-H", f"Authorization: Bearer {key}",
                                 "-s", str(LUA), f"http://127.0.0.1:{port}/deployment-events/"],
                                capture_output=True, text=True, timeout=duration + 60, check=True).stdout
        fields = dict(re.findall(r"(\w+)=(\d+)", next(line for line in output.splitlines() if line.startswith("RESULT"))))
        assert int(fields["errors"]) == 0 and int(fields["non2xx"]) == 0, output
        return (int(fields["requests"]) / (int(fields["duration_us"]) / 1e6), int(fields["p50_us"]) / 1000,
                int(fields["p99_us"]) / 1000)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
        shutil.rmtree(data, ignore_errors=True)


def probe(port):
    try:
        return ha.request(f"http://127.0.0.1:{port}", "GET", "/ready", timeout=2)[0] == 200
    except OSError:
        return False


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--standby", action="store_true", help="replicate synchronously to a streaming standby")
    options = parser.parse_args()
    if not BINARY.exists():
        subprocess.run(["swift", "build", "-c", "release", "--product", "versioner"], cwd=ROOT, check=True)
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    results = {"file": [], "postgres": []}
    with tempfile.TemporaryDirectory(prefix="versioner-ingest-") as root:
        for round_number in range(options.rounds):
            results["file"].append(measure("file", options.duration, root))
            postgres = ha.PostgresPair(pathlib.Path(root) / f"pg{round_number}")
            postgres.start(standby=options.standby)
            try:
                results["postgres"].append(measure(postgres.url, options.duration, root))
            finally:
                postgres.stop()
            print(f"round {round_number + 1}: file {results['file'][-1][0]:.0f} req/s, "
                  f"postgres {results['postgres'][-1][0]:.0f} req/s", flush=True)
    print()
    print(f"| journal | req/s (mean of {options.rounds}) | p50 ms | p99 ms |")
    print("|---|---|---|---|")
    for name, rows in results.items():
        label = name + (" (sync standby)" if name == "postgres" and options.standby else "")
        print(f"| {label} | {statistics.mean(r[0] for r in rows):.0f} | {statistics.mean(r[1] for r in rows):.2f} | "
              f"{statistics.mean(r[2] for r in rows):.2f} |")
    ratio = statistics.mean(r[0] for r in results["postgres"]) / statistics.mean(r[0] for r in results["file"])
    print(f"\npostgres / file = {ratio:.2f}")


if __name__ == "__main__":
    main()
