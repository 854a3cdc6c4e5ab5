"""Schemathesis hooks for scripts/api-conformance: a generated rating that is valid by the
schema gets a real desk token (the schema can only say "22 characters"), so the positive cases
reach the service's own rules and must be stored."""

import os

import schemathesis

DESK_TOKEN = os.environ["SIPAS_CONFORMANCE_DESK_TOKEN"]


@schemathesis.hook
def map_body(ctx, body):
    if (
        isinstance(body, dict)
        and isinstance(body.get("desk_token"), str)
        and len(body["desk_token"]) == 22
    ):
        body["desk_token"] = DESK_TOKEN
    return body


LEVEL = os.environ.get("SIPAS_CONFORMANCE_LEVEL", "department")
AGENCY = os.environ.get("SIPAS_CONFORMANCE_AGENCY", "DEMO")


@schemathesis.hook
def map_query(ctx, query):
    # Half the levels a real one, so the ranking itself is exercised; the rest must be 404.
    if isinstance(query, dict) and isinstance(query.get("level"), str) and len(query["level"]) % 2:
        query["level"] = LEVEL
    return query


@schemathesis.hook
def map_path_parameters(ctx, path):
    if not isinstance(path, dict):
        return path
    # Half the agency codes and publication ids real ones; the others must be 404.
    if isinstance(path.get("code"), str) and len(path["code"]) % 2:
        path["code"] = AGENCY
    if isinstance(path.get("id"), int) and path["id"] >= 1 and path["id"] % 2:
        path["id"] = 1
    return path
