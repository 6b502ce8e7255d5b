"""schemathesis hooks of the live checks (test_openapi.py names this module).

A reused `Idempotency-Key` with another body is answered 422, by contract: generated cases
that happen to draw the same key (every phase draws short ones often) would read as valid data
refused. Just before each call, a valid key is made unique; keys that break the header's rules
are left as drawn, to be refused."""
import re
import uuid

import schemathesis

VALID_KEY = re.compile(r"^[!-~]{1,255}$")


def leaves_out_a_parameter(case):
    """Whether the case is the coverage phase's check that a missing parameter is refused: an
    edit would make schemathesis send it whole again."""
    data = getattr(getattr(getattr(case, "meta", None), "phase", None), "data", None)
    return "MISSING" in str(getattr(data, "scenario", "")).upper()


@schemathesis.hook
def before_call(context, case, kwargs):
    if leaves_out_a_parameter(case):
        return
    headers = case.headers
    if headers and isinstance(headers.get("Idempotency-Key"), str) and VALID_KEY.match(headers["Idempotency-Key"]):
        headers["Idempotency-Key"] = str(uuid.uuid4())


# An import's body is text, one JSON object a line: sent as text/plain bodies are.
schemathesis.serializer.alias("application/x-ndjson", "text/plain")
