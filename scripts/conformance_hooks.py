"""Schemathesis hooks for scripts/api-conformance: a generated rating that is valid by the
schema gets a real desk token, or a fresh receipt's token (the schema can only say "22" or "24
characters"), and a generated receipt a real agency of the system account and a return time of
now, so the positive cases reach the service's own rules and must be stored."""

import datetime
import json
import os
import re
import urllib.request
import uuid

import schemathesis

DESK_TOKEN = os.environ["SIPAS_CONFORMANCE_DESK_TOKEN"]
SYSTEM_TOKEN = os.environ["SIPAS_CONFORMANCE_SYSTEM_TOKEN"]
BASE = os.environ["SIPAS_CONFORMANCE_BASE"]


def fresh_receipt_token():
    """A receipt issued now, so that a generated rating by receipt is its one rating."""
    body = json.dumps({
        "dossier_code": "CF-" + uuid.uuid4().hex,
        "agency_code": AGENCY,
        "returned_at": now(),
    }).encode()
    req = urllib.request.Request(
        BASE + "/api/v1/receipts",
        data=body,
        headers={"Content-Type": "application/json", "Authorization": "Bearer " + SYSTEM_TOKEN},
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)["receipt_token"]


def now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


CODE = re.compile(r"^[A-Za-z0-9._/-]{1,64}$")
AGENCY_CODE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def as_receipt(item):
    """A receipt valid by the schema made valid for the service too (a real agency, a fresh
    dossier, returned now, no desk); anything the schema refuses is left as generated, so that
    the negative cases stay negative."""
    if not isinstance(item, dict):
        return item
    if not all(
        [
            isinstance(item.get("dossier_code"), str) and CODE.match(item["dossier_code"]),
            isinstance(item.get("agency_code"), str) and AGENCY_CODE.match(item["agency_code"]),
            isinstance(item.get("returned_at"), str) and is_date_time(item["returned_at"]),
        ]
    ):
        return item
    if set(item) - {"dossier_code", "agency_code", "desk_id", "procedure_code", "returned_at"}:
        return item
    desk = item.get("desk_id")
    integral = isinstance(desk, (int, float)) and not isinstance(desk, bool) and float(desk).is_integer()
    if desk is not None and not (integral and 1 <= desk <= 2**31 - 1):
        return item
    procedure = item.get("procedure_code")
    if procedure is not None and not (isinstance(procedure, str) and CODE.match(procedure)):
        return item
    item["dossier_code"] = "CF-" + uuid.uuid4().hex
    item["agency_code"] = AGENCY
    item["returned_at"] = now()
    item["desk_id"] = None
    return item


def is_date_time(s):
    try:
        datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
        return "T" in s or "t" in s
    except ValueError:
        return False


@schemathesis.hook
def map_case(ctx, case):
    # map_case, not map_body: the coverage phase applies only case hooks.
    if isinstance(case.body, dict):
        case.body = real_body(case.body)
    return case


@schemathesis.hook
def before_add_examples(ctx, examples):
    # The documented examples name an agency of the example, not of the demo.
    for case in examples:
        if isinstance(case.body, dict):
            case.body = real_body(case.body)


def real_body(body):
    if isinstance(body.get("desk_token"), str) and len(body["desk_token"]) == 22:
        body["desk_token"] = DESK_TOKEN
    if isinstance(body.get("receipt_token"), str) and len(body["receipt_token"]) == 24:
        body["receipt_token"] = fresh_receipt_token()
    if "dossier_code" in body:
        as_receipt(body)
    receipts = body.get("receipts")
    if isinstance(receipts, list) and 1 <= len(receipts) <= 1000 and set(body) == {"receipts"}:
        body["receipts"] = [as_receipt(item) for item in receipts]
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
