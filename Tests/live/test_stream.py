"""GET /events/stream against the real binary: resuming with Last-Event-ID loses and repeats
nothing, and a consumer that never reads is cut off while ingest goes on."""

import concurrent.futures
import json
import socket
import time
import urllib.parse


def post(server, product, version, environment="production", **fields):
    body = json.dumps(dict(product_name=product, version=version, environment_name=environment, status="completed", **fields))
    code, _, answer = server.request("POST", "/deployment-events/", body, key=server.admin_key)
    assert code == 200, answer


def open_stream(server, path, headers=(), receive_buffer=None):
    """A raw HTTP/1.1 request on its own socket (the stream never ends by itself)."""
    host, port = urllib.parse.urlsplit(server.url).netloc.split(":")
    connection = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if receive_buffer:
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)  # before connecting: a small window
    connection.settimeout(10)
    connection.connect((host, int(port)))
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}", f"Authorization: Bearer {server.admin_key}", *headers, "", ""]
    connection.sendall("\r\n".join(lines).encode())
    return connection


def read_messages(connection, count, timeout=20):
    """The first `count` messages (id, event, data) of a stream, reading as they come."""
    deadline = time.monotonic() + timeout
    buffer = b""
    messages = []
    while len(messages) < count:
        connection.settimeout(max(0.1, deadline - time.monotonic()))
        chunk = connection.recv(65536)
        assert chunk, "the stream ended early"
        buffer += chunk
        while b"\n\n" in buffer:
            block, buffer = buffer.split(b"\n\n", 1)
            fields = dict(line.split(": ", 1) for line in block.decode().splitlines() if ": " in line and not line.startswith(":"))
            if "id" in fields:
                messages.append(fields)
        assert time.monotonic() < deadline, f"only {len(messages)} of {count} messages arrived"
    return messages


def test_resume_loses_and_repeats_nothing(server):
    first = open_stream(server, "/events/stream?product=resume")
    for number in range(3):
        post(server, "resume", f"1.{number}")
    seen = read_messages(first, 3)
    first.close()
    assert [json.loads(message["data"])["version"] for message in seen] == ["1.0", "1.1", "1.2"]
    assert all(message["event"] == "deployment.completed" for message in seen)
    # While no one listens, two more; then resume after the last one seen.
    post(server, "resume", "1.3")
    post(server, "other", "9.9")  # filtered out
    post(server, "resume", "1.4")
    second = open_stream(server, "/events/stream?product=resume", [f"Last-Event-ID: {seen[-1]['id']}"])
    post(server, "resume", "1.5")
    resumed = read_messages(second, 3)
    second.close()
    assert [json.loads(message["data"])["version"] for message in resumed] == ["1.3", "1.4", "1.5"]
    ids = [int(message["id"]) for message in seen + resumed]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


def test_a_consumer_that_never_reads_is_cut_off(server):
    stalled = open_stream(server, "/events/stream?product=flood", receive_buffer=4096)
    # Events of about 8 KB, enough to fill the sockets' buffers (a few MB) and the consumer's
    # limit (1 024 events) with room to spare.
    padding = {"note": "x" * 8000}
    total = 3000
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=32) as pool:
        list(pool.map(lambda number: post(server, "flood", f"v{number}", extra_metadata=padding), range(total)))
    assert time.monotonic() - started < 120, "ingest stalled behind a consumer that does not read"
    # Now read: what the consumer was still owed arrives, then the stream ends (the chunked
    # answer's last chunk) instead of going on.
    stalled.settimeout(10)
    received = b""
    while not received.endswith(b"0\r\n\r\n"):
        chunk = stalled.recv(1 << 20)
        assert chunk, "the connection closed without ending the stream"
        received += chunk
    stalled.close()
    delivered = received.count(b"\nevent: deployment.completed")
    assert 0 < delivered < total
