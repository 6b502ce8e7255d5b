"""Webhooks against a receiver this module starts on 127.0.0.1, and the real binary: signed
deliveries, a retry after a 500, none after a 400, the Slack format, and deliveries still owed
at a kill -9 sent after the restart."""

import contextlib
import hashlib
import hmac
import http.server
import json
import secrets
import signal
import tempfile
import threading
import time
import urllib.request

from conftest import launch

WAIT = 30


class Receiver:
    """An HTTP server that records every POST and answers with the next status of `answers`
    (the last one repeats); `hold` keeps answers back until `release()`."""

    def __init__(self, answers=(200,), hold=False):
        self.answers = list(answers)
        self.received = []
        self.changed = threading.Condition()
        self.held = threading.Event()
        if not hold:
            self.held.set()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.changed:
                    receiver.received.append({"headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
                    status = receiver.answers.pop(0) if len(receiver.answers) > 1 else receiver.answers[0]
                    receiver.changed.notify_all()
                receiver.held.wait(timeout=WAIT)
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass  # the sender went away meanwhile

            def log_message(self, *arguments):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def release(self, answers=(200,)):
        with self.changed:
            self.answers = list(answers)
        self.held.set()

    def wait_for(self, count):
        """The requests received, once there are at least `count` of them."""
        with self.changed:
            assert self.changed.wait_for(lambda: len(self.received) >= count, timeout=WAIT), self.received
            return list(self.received)

    def close(self):
        self.held.set()
        self.server.shutdown()
        self.server.server_close()


@contextlib.contextmanager
def receiving(**options):
    receiver = Receiver(**options)
    try:
        yield receiver
    finally:
        receiver.close()


def call(server, method, path, body=None):
    request = urllib.request.Request(server.url + path, data=json.dumps(body).encode() if body is not None else None,
                                     method=method, headers={"Content-Type": "application/json",
                                                             "Authorization": f"Bearer {server.admin_key}"})
    try:
        with urllib.request.urlopen(request, timeout=WAIT) as response:
            text = response.read()
            return response.status, json.loads(text) if text else None
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def deploy(server, product="api", version="1.0", environment="production", status="success", **fields):
    answer = call(server, "POST", "/deployment-events/", {"product_name": product, "version": version,
                                                          "environment_name": environment, "status": status, **fields})
    assert answer[0] == 200, answer
    return answer[1]


def finished(server, webhook_id, count):
    """The deliveries log once it holds `count` finished deliveries (it is journaled after the last attempt)."""
    deadline = time.monotonic() + WAIT
    while True:
        status, log = call(server, "GET", f"/webhooks/{webhook_id}/deliveries")
        assert status == 200, log
        if len(log["deliveries"]) >= count or time.monotonic() > deadline:
            return log
        time.sleep(0.1)


def new_key():
    return "sk_local_" + secrets.token_hex(6) + "_" + secrets.token_urlsafe(32)


def test_a_signed_delivery_is_retried_after_a_500_then_delivered():
    with tempfile.TemporaryDirectory(prefix="versioner-live-") as data_dir, receiving(answers=(500, 200)) as receiver:
        with launch(data_dir, new_key(), "--webhook-allow-private") as server:
            status, webhook = call(server, "POST", "/webhooks/", {
                "name": "deploys", "url": receiver.url, "events": ["deployment.completed"], "secret": "s3cret"})
            assert status == 201, webhook
            assert webhook["has_secret"] is True and "secret" not in webhook
            deployment = deploy(server, deployed_by="alice", scm_sha="abcdef1234567", scm_repository="acme/api")
            deploy(server, environment="staging", status="started")  # not a type the webhook wants

            first, second = receiver.wait_for(2)
            for request in (first, second):
                expected = "sha256=" + hmac.new(b"s3cret", request["body"], hashlib.sha256).hexdigest()
                assert request["headers"]["x-versioner-signature"] == expected
                assert request["headers"]["x-versioner-event"] == "deployment.completed"
                assert request["headers"]["content-type"] == "application/json"
            assert first["headers"]["x-versioner-delivery"] == second["headers"]["x-versioner-delivery"]
            body = json.loads(second["body"])
            assert body["id"] == deployment["id"]
            assert body["event_type"] == "deployment.completed"
            assert (body["product_name"], body["version"], body["environment"]) == ("api", "1.0", "production")
            assert (body["is_successful"], body["deployer"], body["repo_name"]) == (True, "alice", "acme/api")
            assert body["commit_sha"] == "abcdef1234567"
            assert body["source_url"].endswith("/ui/deployments/" + deployment["id"])

            log = finished(server, webhook["id"], 1)
            [delivery] = log["deliveries"]
            assert delivery["delivered"] is True
            assert [attempt["status_code"] for attempt in delivery["attempts"]] == [500, 200]
            assert log["pending"] == 0
            assert len(receiver.received) == 2  # the started event in staging was never sent

            status, metrics = 0, b""
            with urllib.request.urlopen(server.url + "/metrics", timeout=WAIT) as response:
                metrics = response.read().decode()
            assert 'versioner_webhook_deliveries_total{result="delivered"} 1' in metrics


def test_a_400_is_not_retried_and_a_test_delivery_is_logged():
    with tempfile.TemporaryDirectory(prefix="versioner-live-") as data_dir, receiving(answers=(400,)) as receiver:
        with launch(data_dir, new_key(), "--webhook-allow-private") as server:
            _, webhook = call(server, "POST", "/webhooks/", {"name": "all", "url": receiver.url, "events": ["*"]})
            deploy(server)
            log = finished(server, webhook["id"], 1)
            [delivery] = log["deliveries"]
            assert delivery["delivered"] is False
            assert [attempt["status_code"] for attempt in delivery["attempts"]] == [400]
            assert len(receiver.received) == 1
            assert "x-versioner-signature" not in receiver.received[0]["headers"]  # no secret, no signature

            status, tested = call(server, "POST", f"/webhooks/{webhook['id']}/test")
            assert status == 200, tested
            assert tested["event_type"] == "ping" and tested["delivered"] is False
            assert receiver.wait_for(2)[1]["headers"]["x-versioner-event"] == "ping"
            assert len(finished(server, webhook["id"], 2)["deliveries"]) == 2


def test_the_slack_format_is_an_incoming_webhook_message():
    with tempfile.TemporaryDirectory(prefix="versioner-live-") as data_dir, receiving() as receiver:
        with launch(data_dir, new_key(), "--webhook-allow-private") as server:
            status, webhook = call(server, "POST", "/webhooks/", {
                "name": "slack", "url": receiver.url, "format": "slack", "events": ["deployment.*"],
                "environments": ["production"]})
            assert status == 201, webhook
            deploy(server, environment="staging")  # another environment: not sent
            deploy(server, product="<b>shop</b>", version="2.1", deployed_by="bob")
            [request] = receiver.wait_for(1)
            message = json.loads(request["body"])
            assert set(message) == {"text", "blocks"}
            assert message["blocks"][0]["type"] == "section"
            assert message["blocks"][0]["text"]["type"] == "mrkdwn"
            text = message["text"]
            assert "&lt;b&gt;shop&lt;/b&gt;" in text and "<b>" not in text
            assert "2.1 deployed to *production* by bob" in text
            assert "|View in Versioner>" in text
            assert len(finished(server, webhook["id"], 1)["deliveries"]) == 1
            assert len(receiver.received) == 1


def test_deliveries_owed_at_a_kill_9_are_sent_after_the_restart():
    key = new_key()
    with tempfile.TemporaryDirectory(prefix="versioner-live-") as data_dir, receiving(hold=True) as receiver:
        with launch(data_dir, key, "--webhook-allow-private") as server:
            _, webhook = call(server, "POST", "/webhooks/", {"name": "held", "url": receiver.url, "events": ["deployment.*"]})
            events = [deploy(server, version=f"1.{number}")["event_id"] for number in range(3)]
            before = receiver.wait_for(3)  # each is being sent, and none answered
            server.process.send_signal(signal.SIGKILL)
            server.process.wait(timeout=WAIT)
        receiver.release()
        with launch(data_dir, key, "--webhook-allow-private") as restarted:
            after = receiver.wait_for(6)[3:]
            ids = lambda requests: sorted(request["headers"]["x-versioner-delivery"] for request in requests)
            assert ids(after) == ids(before)  # the same deliveries, so a receiver can tell the repeat
            assert sorted(json.loads(request["body"])["event_id"] for request in after) == sorted(events)
            log = finished(restarted, webhook["id"], 3)
            assert all(delivery["delivered"] for delivery in log["deliveries"])
            assert log["pending"] == 0


def test_bad_webhooks_are_refused_and_private_addresses_need_the_flag():
    with tempfile.TemporaryDirectory(prefix="versioner-live-") as data_dir, receiving() as receiver:
        with launch(data_dir, new_key()) as server:
            status, answer = call(server, "POST", "/webhooks/", {"name": "local", "url": receiver.url, "events": ["*"]})
            assert status == 422
            assert answer["detail"][0]["loc"] == ["body", "url"]
            assert "--webhook-allow-private" in answer["detail"][0]["msg"]
            for body, location in [
                ({"name": "ftp", "url": "ftp://example.com/hook", "events": ["*"]}, ["body", "url"]),
                ({"name": "typo", "url": "https://example.com/hook", "events": ["deployment.finished"]}, ["body", "events", "0"]),
                ({"name": "none", "url": "https://example.com/hook", "events": []}, ["body", "events"]),
                ({"name": "fmt", "url": "https://example.com/hook", "events": ["*"], "format": "teams"}, ["body", "format"]),
            ]:
                status, answer = call(server, "POST", "/webhooks/", body)
                assert status == 422, body
                assert answer["detail"][0]["loc"] == location, answer
            assert call(server, "GET", "/webhooks/") == (200, [])
            deploy(server)
            assert receiver.received == []
