"""The orders example's OpenAPI document, checked by an independent implementation:
openapi-spec-validator (Python) validates GET /openapi.json against the OpenAPI 3.1 schema, and
every operation's `security` must name declared security schemes."""

import json
import sys

from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from common import Orders, Tally, request


def main(binary):
    tally = Tally("openapi")
    with Orders(binary) as orders:
        status, headers, _, body = request(orders.port, "GET", "/openapi.json")
        tally.check("GET /openapi.json is 200", status == 200, status)
        tally.check("served as JSON", headers.get("content-type", "").startswith("application/json"))
        doc = json.loads(body)
        try:
            validate(doc)
            tally.check("valid OpenAPI 3.1 (openapi-spec-validator)", True)
        except OpenAPIValidationError as error:
            tally.check("valid OpenAPI 3.1 (openapi-spec-validator)", False, str(error)[:500])
        tally.check("OpenAPI 3.1", doc.get("openapi", "").startswith("3.1"), doc.get("openapi"))
        schemes = doc["components"]["securitySchemes"]
        tally.check("bearer is HTTP bearer JWT",
                    schemes["bearer"] == {**schemes["bearer"], "type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
        tally.check("basic is HTTP basic", schemes["basic"]["type"] == "http" and schemes["basic"]["scheme"] == "basic")
        tally.check("api_key is a header key",
                    schemes["api_key"]["type"] == "apiKey" and schemes["api_key"]["in"] == "header"
                    and schemes["api_key"]["name"] == "X-API-Key")
        operations = [(path, method, op) for path, item in doc["paths"].items() for method, op in item.items()]
        tally.check("15 operations", len(operations) == 15, len(operations))
        tally.check("dpop is the Authorization header, described",
                    schemes["dpop"]["type"] == "apiKey" and schemes["dpop"]["in"] == "header" and schemes["dpop"]["name"] == "Authorization")
        step_up = doc["paths"]["/account/security"]["get"].get("x-step-up")
        tally.check("GET /account/security declares its step-up", step_up == {"acr_values": "urn:orders:mfa", "max_age": 300}, step_up)
        for path, method, op in operations:
            for alternative in op.get("security", []):
                for name in alternative:
                    tally.check(f"{method} {path}: security names a declared scheme", name in schemes, name)
        public = sorted(f"{m} {p}" for p, m, op in operations if "security" not in op)
        tally.check("only /health and /metrics are public", public == ["get /health", "get /metrics"], public)
    return tally.report()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
