"""Checks the deliveries receiver.py recorded (its JSONL file), independently of Vestibule's code.

    check.py standard --file F --secret whsec_A [--secret whsec_B ...]
        Every delivery verifies with the Standard Webhooks reference library
        (`standardwebhooks.Webhook(secret).verify`) under EACH secret given: during a rotation the
        server signs with both, `webhook-signature: v1,<old> v1,<new>`, and a receiver holding
        either must accept it. Every signature in the header is well formed, and the body is a
        Standard Webhooks payload: a JSON object with `type`, `timestamp` (RFC 3339) and `data`
        (an object). The library refuses a `webhook-timestamp` more than 5 minutes from now, so
        run this soon after the deliveries arrived.
        Prints {"verified": <deliveries that passed all of this>, "ids": [webhook-id, ...],
        "types": [type, ...]}, ids and types in the order the deliveries arrived.

    check.py slack --file F
        Every body is a Slack incoming-webhook message in Block Kit: the fallback `text` and 1..50
        `blocks` of the kinds an incoming webhook can post (section, context, header, divider,
        actions, image), within Slack's documented limits.

    check.py teams --file F
        Every body is a message for a Teams workflow ("when a Teams webhook request is
        received"): `{"type": "message", "attachments": [<Adaptive Card 1.4+ attachment>]}`, the
        card's body made of TextBlock, FactSet, ColumnSet and Container elements, the message
        within Teams' 28 KB.
        Both print {"checked": <deliveries checked>}.

Every delivery must also say `Content-Type: application/json`. The Slack and Teams shapes are JSON
Schemas below, validated with jsonschema-rs (which the pinned schemathesis brings into the test
virtualenv), else with the `jsonschema` package if that is installed. An empty file is a failure:
a check that saw nothing proves nothing. On any failure the summary gets a "failures" list and the
exit status is 1.
"""

import argparse
import base64
import json
import re
import sys

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
# One signature of `webhook-signature`: `v1,<base64 HMAC-SHA256>` or `v1a,<base64 ed25519>`.
SIGNATURE = re.compile(r"^v1a?,[A-Za-z0-9+/]+={0,2}$")

# --- Slack Block Kit (https://api.slack.com/reference/block-kit) --------------------------------


def slack_text(max_len, kinds=("plain_text", "mrkdwn")):
    """A composition text object; `emoji` belongs to plain_text only, `verbatim` to mrkdwn."""
    return {
        "type": "object",
        "required": ["type", "text"],
        "additionalProperties": False,
        "properties": {
            "type": {"enum": list(kinds)},
            "text": {"type": "string", "minLength": 1, "maxLength": max_len},
            "emoji": {"type": "boolean"},
            "verbatim": {"type": "boolean"},
        },
        "allOf": [
            {"if": {"properties": {"type": {"const": "plain_text"}}}, "then": {"not": {"required": ["verbatim"]}}},
            {"if": {"properties": {"type": {"const": "mrkdwn"}}}, "then": {"not": {"required": ["emoji"]}}},
        ],
    }


def dispatch(kinds, ref_prefix="#/$defs/"):
    """An object whose `type` is one of `kinds`, checked against the definition of that kind."""
    return {
        "type": "object",
        "required": ["type"],
        "properties": {"type": {"enum": list(kinds)}},
        "allOf": [
            {"if": {"properties": {"type": {"const": k}}, "required": ["type"]}, "then": {"$ref": ref_prefix + kinds[k]}}
            for k in kinds
        ],
    }


BLOCK_ID = {"type": "string", "minLength": 1, "maxLength": 255}
URL = {"type": "string", "minLength": 1, "maxLength": 3000, "pattern": "^https?://"}

SLACK_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    # Slack ignores top-level keys it does not know (username, unfurl_links, ...); blocks it does not.
    "required": ["text", "blocks"],
    "properties": {
        "text": {"type": "string", "minLength": 1, "pattern": "\\S"},
        "blocks": {"type": "array", "minItems": 1, "maxItems": 50, "items": {"$ref": "#/$defs/block"}},
    },
    "$defs": {
        "block": dispatch({
            "section": "section", "context": "context", "header": "header",
            "divider": "divider", "actions": "actions", "image": "image_block",
        }),
        "section": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "type": {"const": "section"},
                "block_id": BLOCK_ID,
                "text": slack_text(3000),
                "fields": {"type": "array", "minItems": 1, "maxItems": 10, "items": slack_text(2000)},
                "accessory": dispatch({"button": "button", "image": "image_element"}),
                "expand": {"type": "boolean"},
            },
            "anyOf": [{"required": ["text"]}, {"required": ["fields"]}],
        },
        "header": {
            "type": "object",
            "required": ["text"],
            "additionalProperties": False,
            "properties": {"type": {"const": "header"}, "block_id": BLOCK_ID, "text": slack_text(150, ["plain_text"])},
        },
        "divider": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"type": {"const": "divider"}, "block_id": BLOCK_ID},
        },
        "context": {
            "type": "object",
            "required": ["elements"],
            "additionalProperties": False,
            "properties": {
                "type": {"const": "context"},
                "block_id": BLOCK_ID,
                "elements": {
                    "type": "array", "minItems": 1, "maxItems": 10,
                    "items": dispatch({"plain_text": "context_text", "mrkdwn": "context_text", "image": "image_element"}),
                },
            },
        },
        "context_text": slack_text(3000),
        "actions": {
            "type": "object",
            "required": ["elements"],
            "additionalProperties": False,
            "properties": {
                "type": {"const": "actions"},
                "block_id": BLOCK_ID,
                # An incoming webhook has no app to receive interactions: link buttons only.
                "elements": {"type": "array", "minItems": 1, "maxItems": 25, "items": dispatch({"button": "button"})},
            },
        },
        "button": {
            "type": "object",
            "required": ["type", "text"],
            "additionalProperties": False,
            "properties": {
                "type": {"const": "button"},
                "text": slack_text(75, ["plain_text"]),
                "action_id": {"type": "string", "minLength": 1, "maxLength": 255},
                "url": URL,
                "value": {"type": "string", "maxLength": 2000},
                "style": {"enum": ["primary", "danger"]},
                "accessibility_label": {"type": "string", "minLength": 1, "maxLength": 75},
            },
        },
        "image_element": {
            "type": "object",
            "required": ["type", "image_url", "alt_text"],
            "additionalProperties": False,
            "properties": {
                "type": {"const": "image"},
                "image_url": URL,
                "alt_text": {"type": "string", "minLength": 1, "maxLength": 2000},
            },
        },
        "image_block": {
            "type": "object",
            "required": ["image_url", "alt_text"],
            "additionalProperties": False,
            "properties": {
                "type": {"const": "image"},
                "block_id": BLOCK_ID,
                "image_url": URL,
                "alt_text": {"type": "string", "minLength": 1, "maxLength": 2000},
                "title": slack_text(2000, ["plain_text"]),
            },
        },
    },
}

# --- Teams workflow message with an Adaptive Card (https://adaptivecards.io/explorer/) ----------

ELEMENT_COMMON = {
    "id": {"type": "string"},
    "spacing": {"enum": ["default", "none", "small", "medium", "large", "extraLarge", "padding"]},
    "separator": {"type": "boolean"},
    "isVisible": {"type": "boolean"},
    "height": {"enum": ["auto", "stretch"]},
    "requires": {"type": "object"},
    "fallback": {"anyOf": [{"const": "drop"}, {"$ref": "#/$defs/element"}]},
}
CONTAINER_STYLE = {"enum": ["default", "emphasis", "good", "attention", "warning", "accent"]}
VERTICAL = {"enum": ["top", "center", "bottom"]}
HORIZONTAL = {"enum": ["left", "center", "right"]}
CONTAINER_COMMON = {
    "style": CONTAINER_STYLE,
    "bleed": {"type": "boolean"},
    "minHeight": {"type": "string", "pattern": "^[0-9]+px$"},
    "selectAction": {"$ref": "#/$defs/action"},
    "rtl": {"type": ["boolean", "null"]},
    "backgroundImage": {"type": ["string", "object"]},
}

TEAMS_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["type", "attachments"],
    "properties": {
        "type": {"const": "message"},
        "attachments": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/attachment"}},
    },
    "$defs": {
        "attachment": {
            "type": "object",
            "required": ["contentType", "content"],
            "additionalProperties": False,
            "properties": {
                "contentType": {"const": "application/vnd.microsoft.card.adaptive"},
                "contentUrl": {"type": "null"},
                "content": {"$ref": "#/$defs/card"},
            },
        },
        "card": {
            "type": "object",
            "required": ["$schema", "type", "version", "body"],
            "additionalProperties": False,
            "properties": {
                "$schema": {"const": "http://adaptivecards.io/schemas/adaptive-card.json"},
                "type": {"const": "AdaptiveCard"},
                "version": {"type": "string", "pattern": "^1\\.([4-9]|[1-9][0-9]+)$"},
                "body": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/element"}},
                "actions": {"type": "array", "items": {"$ref": "#/$defs/action"}},
                "msteams": {"type": "object", "properties": {"width": {"const": "Full"}}},
                "fallbackText": {"type": "string"},
                "speak": {"type": "string"},
                "lang": {"type": "string"},
                "minHeight": {"type": "string", "pattern": "^[0-9]+px$"},
                "verticalContentAlignment": VERTICAL,
                "selectAction": {"$ref": "#/$defs/action"},
                "backgroundImage": {"type": ["string", "object"]},
                "rtl": {"type": ["boolean", "null"]},
            },
        },
        "element": dispatch({
            "TextBlock": "TextBlock", "FactSet": "FactSet", "ColumnSet": "ColumnSet", "Container": "Container",
        }),
        "TextBlock": {
            "type": "object",
            "required": ["text"],
            "additionalProperties": False,
            "properties": {
                "type": {"const": "TextBlock"},
                "text": {"type": "string", "minLength": 1, "pattern": "\\S"},
                "color": {"enum": ["default", "dark", "light", "accent", "good", "warning", "attention"]},
                "fontType": {"enum": ["default", "monospace"]},
                "horizontalAlignment": HORIZONTAL,
                "isSubtle": {"type": "boolean"},
                "maxLines": {"type": "integer", "minimum": 1},
                "size": {"enum": ["default", "small", "medium", "large", "extraLarge"]},
                "weight": {"enum": ["default", "lighter", "bolder"]},
                "wrap": {"type": "boolean"},
                "style": {"enum": ["default", "heading"]},
                **ELEMENT_COMMON,
            },
        },
        "FactSet": {
            "type": "object",
            "required": ["facts"],
            "additionalProperties": False,
            "properties": {
                "type": {"const": "FactSet"},
                "facts": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["title", "value"],
                        "additionalProperties": False,
                        "properties": {"title": {"type": "string"}, "value": {"type": "string"}},
                    },
                },
                **ELEMENT_COMMON,
            },
        },
        "Container": {
            "type": "object",
            "required": ["items"],
            "additionalProperties": False,
            "properties": {
                "type": {"const": "Container"},
                "items": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/element"}},
                "verticalContentAlignment": VERTICAL,
                **CONTAINER_COMMON,
                **ELEMENT_COMMON,
            },
        },
        "ColumnSet": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "type": {"const": "ColumnSet"},
                "columns": {"type": "array", "items": {"$ref": "#/$defs/Column"}},
                "horizontalAlignment": HORIZONTAL,
                **CONTAINER_COMMON,
                **ELEMENT_COMMON,
            },
        },
        "Column": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "type": {"const": "Column"},
                "items": {"type": "array", "items": {"$ref": "#/$defs/element"}},
                "width": {"anyOf": [
                    {"enum": ["auto", "stretch"]},
                    {"type": "string", "pattern": "^[0-9]+px$"},
                    {"type": "number", "exclusiveMinimum": 0},
                ]},
                "verticalContentAlignment": VERTICAL,
                **CONTAINER_COMMON,
                **ELEMENT_COMMON,
            },
        },
        # A workflow posts as the flow bot: no bot receives a Submit, so links only.
        "action": {
            "type": "object",
            "required": ["type", "url"],
            "additionalProperties": False,
            "properties": {
                "type": {"const": "Action.OpenUrl"},
                "url": {"type": "string", "pattern": "^https?://"},
                "title": {"type": "string"},
                "id": {"type": "string"},
                "iconUrl": {"type": "string"},
                "style": {"enum": ["default", "positive", "destructive"]},
                "tooltip": {"type": "string"},
                "isEnabled": {"type": "boolean"},
                "mode": {"enum": ["primary", "secondary"]},
            },
        },
    },
}

# Teams refuses a message over about 28 KB.
TEAMS_MAX_BYTES = 28 * 1024


def schema_errors(schema, instance):
    """Every way `instance` breaks `schema`, as `<JSON pointer>: <message>`."""
    try:
        import jsonschema_rs
    except ImportError:
        jsonschema_rs = None
    if jsonschema_rs is not None:
        errors = jsonschema_rs.validator_for(schema).iter_errors(instance)
        return [f"/{'/'.join(map(str, e.instance_path))}: {e.message}" for e in errors]
    try:
        import jsonschema
    except ImportError:
        sys.exit("check.py needs jsonschema-rs (schemathesis brings it; `cargo xtask test` installs it) or jsonschema")
    validator = jsonschema.validators.validator_for(schema)(schema)
    return [f"/{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(instance)]


def load(path):
    """The records of `path`, and the failures of lines that are not records."""
    records, failures = [], []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            # A last line without its newline is still being written: not a delivery yet.
            if not line.strip() or not line.endswith("\n"):
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as e:
                failures.append(f"line {n}: not JSON: {e}")
    if not records and not failures:
        failures.append(f"{path}: no deliveries recorded")
    return records, failures


def body_bytes(record):
    """The body exactly as received."""
    if "body_b64" in record:
        return base64.b64decode(record["body_b64"])
    return record["body"].encode()


def common(i, record, failures):
    """The checks every delivery passes; returns its body parsed as JSON, or None."""
    where = f"delivery {i} ({record.get('path')})"
    ctype = record.get("headers", {}).get("content-type", "")
    if not ctype.split(";")[0].strip().lower() == "application/json":
        failures.append(f"{where}: Content-Type is {ctype!r}, not application/json")
    try:
        return json.loads(body_bytes(record))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        failures.append(f"{where}: the body is not JSON: {e}")
        return None


def check_standard(records, secrets, failures):
    from standardwebhooks import Webhook

    try:
        hooks = [Webhook(s) for s in secrets]
    except Exception as e:  # noqa: BLE001 - a malformed secret is the caller's error
        sys.exit(f"check.py: a --secret is not a Standard Webhooks secret: {e!r}")
    ids, types, verified = [], [], 0
    for i, record in enumerate(records):
        headers = record.get("headers", {})
        ids.append(headers.get("webhook-id"))
        before = len(failures)
        types.append(check_signed(i, record, hooks, failures))
        verified += len(failures) == before
    return {"verified": verified, "ids": ids, "types": types}


def check_signed(i, record, hooks, failures):
    """Checks one Standard Webhooks delivery against every secret; returns its payload's type."""
    from standardwebhooks import WebhookVerificationError

    where = f"delivery {i} ({record.get('path')})"
    payload = common(i, record, failures)
    headers = record.get("headers", {})
    bad = [s for s in headers.get("webhook-signature", "").split(" ") if not SIGNATURE.match(s)]
    if bad:
        failures.append(f"{where}: malformed signatures in webhook-signature: {bad}")
    if not re.fullmatch(r"[0-9]+", headers.get("webhook-timestamp", "")):
        failures.append(f"{where}: webhook-timestamp {headers.get('webhook-timestamp')!r} is not integer seconds")
    for k, hook in enumerate(hooks):
        try:
            hook.verify(body_bytes(record), headers, json_parse=False)
        except WebhookVerificationError as e:
            failures.append(f"{where}: does not verify with secret #{k + 1}: {e}")
    if payload is None:
        return None
    if not isinstance(payload, dict):
        failures.append(f"{where}: the payload is not a JSON object")
        return None
    if not (isinstance(payload.get("type"), str) and payload["type"]):
        failures.append(f"{where}: the payload's `type` is not a non-empty string")
    if not (isinstance(payload.get("timestamp"), str) and RFC3339.match(payload["timestamp"])):
        failures.append(f"{where}: the payload's `timestamp` {payload.get('timestamp')!r} is not RFC 3339")
    if not isinstance(payload.get("data"), dict):
        failures.append(f"{where}: the payload's `data` is not a JSON object")
    return payload.get("type")


def check_schema(records, schema, failures, max_bytes=None):
    for i, record in enumerate(records):
        where = f"delivery {i} ({record.get('path')})"
        payload = common(i, record, failures)
        if max_bytes is not None and len(body_bytes(record)) > max_bytes:
            failures.append(f"{where}: {len(body_bytes(record))} bytes, over {max_bytes}")
        if payload is not None:
            failures.extend(f"{where}: {e}" for e in schema_errors(schema, payload))
    return {"checked": len(records)}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="mode", required=True)
    std = sub.add_parser("standard")
    std.add_argument("--file", required=True)
    std.add_argument("--secret", action="append", required=True)
    for mode in ("slack", "teams"):
        sub.add_parser(mode).add_argument("--file", required=True)
    a = p.parse_args()
    records, failures = load(a.file)
    if a.mode == "standard":
        summary = check_standard(records, a.secret, failures)
    elif a.mode == "slack":
        summary = check_schema(records, SLACK_SCHEMA, failures)
    else:
        summary = check_schema(records, TEAMS_SCHEMA, failures, TEAMS_MAX_BYTES)
    if failures:
        summary["failures"] = failures
    print(json.dumps(summary))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
