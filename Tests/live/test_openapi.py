"""The OpenAPI document validates as OpenAPI 3.1, and schemathesis finds nothing in at least
1 000 generated cases over every operation (no 5xx, no answer the document does not allow)."""

import json
import re
import subprocess

from openapi_spec_validator import validate
from openapi_spec_validator.validation import OpenAPIV31SpecValidator

MINIMUM_CASES = 1000


def test_document_is_valid_openapi_3_1(server):
    status, headers, body = server.request("GET", "/openapi.json")
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    document = json.loads(body)
    assert document["openapi"].startswith("3.1")
    validate(document, cls=OpenAPIV31SpecValidator)


def test_schemathesis_finds_nothing(server, tmp_path):
    checks = ",".join([
        "not_a_server_error", "status_code_conformance", "content_type_conformance",
        "response_headers_conformance", "response_schema_conformance",
    ])
    command = [
        "schemathesis", "run", server.url + "/openapi.json",
        "--header", f"Authorization: Bearer {server.admin_key}",
        "--checks", checks,
        "--max-examples", "60",
        "--seed", "20261125",
        "--generation-database", "none",
        "--request-timeout", "10",
        "--no-color",
        "--output-sanitize", "true",
    ]
    run = subprocess.run(command, capture_output=True, text=True, timeout=900, cwd=tmp_path)
    output = run.stdout + run.stderr
    print(output)
    assert run.returncode == 0, "schemathesis found a problem:\n" + output
    found = re.search(r"(\d+) generated, (\d+) passed", output)
    assert found, "no case count in the output"
    generated, passed = int(found.group(1)), int(found.group(2))
    assert generated >= MINIMUM_CASES
    assert passed == generated
    tested = re.search(r"Tested: (\d+)", output)
    operations = re.search(r"Selected: (\d+)/(\d+)", output)
    assert tested and operations and int(tested.group(1)) == int(operations.group(2)), "every operation was tested"
