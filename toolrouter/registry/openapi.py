"""OpenAPI documents as tools: each operation of an OpenAPI 3.x or Swagger 2.0 document is one tool.

A REST API's document is how most services describe what they can do, and tool catalogs generated
from them are what agents get handed by the thousand. An operation becomes a function tool the
way such catalogs write them:

- **name**: its ``operationId`` (characters OpenAI refuses replaced by ``_``, at most 64), else
  the method and path (``get_pets_petId``); a name repeated in the document gets ``_2``, ``_3``.
- **description**: its ``summary`` and ``description`` as plain text (HTML tags and markdown
  link targets removed), ``(deprecated)`` appended for deprecated operations.
- **parameters**: one JSON Schema object of its path, query, header and cookie parameters and its
  JSON or form body: an object body's properties sit beside the parameters (a body whose property
  names clash with them, or that is no object, is one ``body`` argument). Optional parameters that
  nearly every operation of the document declares (Google's ``alt``, ``fields``, ``quotaUser``)
  are transport settings and left out. Local ``$ref``\\ s are inlined; a recursive one, or one
  nested too deep, keeps its type and name only; ``readOnly`` properties (response-only)
  are left out of bodies; OpenAPI 3.0's boolean ``exclusiveMinimum``/``exclusiveMaximum`` and
  Swagger's ``file`` type become their JSON Schema forms.
- **group** (see :meth:`Registry.add_tools <toolrouter.registry.Registry.add_tools>`): the title
  without the words every API title repeats (``GitHub v3 REST API`` → ``GitHub``), described by
  the document's ``info.description``.

The tool's ``spec`` keeps the HTTP call: ``{"method", "server", "path", "operation"}`` (``server``:
the base URL, None when the document names none).
"""

from __future__ import annotations

import copy
import html
import logging
import re
from collections import Counter
from functools import cache
from typing import Any
from urllib.parse import unquote, urlsplit

from toolrouter.errors import SpecError
from toolrouter.registry.build import build_tool
from toolrouter.registry.items import ToolItem

logger = logging.getLogger(__name__)

# HTTP methods an OpenAPI path item can hold operations for.
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Header parameters OpenAPI says are ignored (the HTTP client sets them).
IGNORED_HEADERS = frozenset({"accept", "content-type", "authorization"})
# Longest tool name made: OpenAI refuses function names over 64 characters.
MAX_TOOL_NAME = 64
# How far $refs are inlined into one operation's parameters: levels of nested properties and items,
# and $refs in all. A $ref past either keeps its type and name only. Large APIs' bodies reference
# objects that reference objects (DocuSign's, Microsoft Graph's, Codat's): inlined whole, one
# operation's schema ran to megabytes and the document took a minute.
MAX_INLINE_DEPTH = 3
MAX_INLINED_REFS = 100
# Optional parameters declared by this share of a document's operations (of at least this many) are
# transport settings, left out of its tools (see _transport_parameters).
SHARED_PARAMETER_SHARE = 0.9
MIN_OPERATIONS_FOR_SHARED = 5
# Second-level labels of two-part public suffixes (``co.uk``, ``com.au``).
_SECOND_LEVEL_SUFFIXES = frozenset({"co", "com", "org", "net", "gov", "ac", "edu"})
# Longest group description taken from a document: a sentence or two, not its whole introduction.
MAX_GROUP_DESCRIPTION_CHARS = 400
# Body media types by preference: JSON first, then forms.
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# Words of an API's title that say it is an API rather than which service it is, parentheticals
# (``(beta)``) and possessives (``Netlify's``).
_GENERIC_TITLE = re.compile(
    r"\b(?:the|api|apis|rest|restful|http|openapi|swagger|spec|specification|reference|documentation|"
    r"public|web|interactive|ui|service|v?\d+(?:\.\d+)*)\b|\([^)]*\)|(?<=\w)'s\b", re.IGNORECASE)
# Punctuation left standing alone once those words are gone (``Twilio - Api``, ``ExchangeRate-API``).
_LOOSE_PUNCTUATION = re.compile(r"(?:^|\s)[-–—:|,/]+(?=\s|$)|[-–—:|,/]+$")
_TAG = re.compile(r"<[^>]+>")
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_SPACE_BEFORE_PUNCTUATION = re.compile(r"[ \t]+([.,;:!?])")
_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
# The version key of an OpenAPI document in YAML: a top-level ``openapi:`` or ``swagger:`` line.
_YAML_VERSION_KEY = re.compile(r"^[\"']?(?:openapi|swagger)[\"']?[ \t]*:", re.MULTILINE)


def is_openapi_document(spec: Any) -> bool:
    """Whether ``spec`` is an OpenAPI (``openapi: 3.x``) or Swagger (``swagger: "2.0"``) document."""
    return isinstance(spec, dict) and ("openapi" in spec or "swagger" in spec) and "paths" in spec


def openapi_yaml(text: str) -> dict[str, Any] | None:
    """An OpenAPI document's YAML text, parsed; None when the text has no top-level ``openapi:`` or
    ``swagger:`` key or does not parse into a document. JSON text is read as JSON by the caller first.

    Raises:
        SpecError: Text that holds such a key but is not valid YAML (line and column named).
    """
    if not _YAML_VERSION_KEY.search(text):
        return None
    import yaml

    try:
        document = yaml.load(text, Loader=_yaml_loader())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise SpecError("openapi", f"not valid YAML: {getattr(exc, 'problem', None) or exc}{where}") from None
    return document if is_openapi_document(document) else None


@cache
def _yaml_loader() -> type:
    """PyYAML's safe loader, reading dates as the strings they are in JSON (a document's
    ``version: 2024-01-01`` or an example date), so tools' specs stay JSON."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    Loader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return Loader


def plain_text(text: Any) -> str:
    """A document's rich text as plain words: HTML tags dropped, markdown links reduced to their text."""
    if not isinstance(text, str):
        return ""
    text = _SPACE_BEFORE_PUNCTUATION.sub(r"\1", html.unescape(_TAG.sub(" ", text)))  # "<i>it</i>." → "it."
    return _MD_LINK.sub(r"\1", text).replace("**", "").replace("`", "").strip()


def openapi_group(document: dict[str, Any]) -> tuple[str | None, str]:
    """The group a document's tools belong to, and its description, from ``info``: the title without
    API boilerplate (None when nothing is left), and the description's first
    :data:`MAX_GROUP_DESCRIPTION_CHARS` characters (at a word boundary)."""
    info = document.get("info") if isinstance(document.get("info"), dict) else {}
    title = info.get("title") if isinstance(info.get("title"), str) else ""
    name = " ".join(_LOOSE_PUNCTUATION.sub(" ", " ".join(_GENERIC_TITLE.sub(" ", title).split())).split()) or None
    description = " ".join(plain_text(info.get("description")).split())
    if len(description) > MAX_GROUP_DESCRIPTION_CHARS:
        description = description[:MAX_GROUP_DESCRIPTION_CHARS].rsplit(" ", 1)[0] + "…"
    return name, description


def openapi_aliases(document: dict[str, Any], group: str | None) -> tuple[str, ...]:
    """Names a request may call a document's API by besides its group: the brand its server's host
    carries (``api.sendgrid.com`` → ``sendgrid`` for the ``Email Activity`` API,
    ``your-domain.atlassian.net`` → ``atlassian``), and the first word of a several-word ``group``
    when it is a label of the host too (``YouTube Data`` at ``youtube.googleapis.com`` →
    ``youtube``; not ``Google`` at ``www.googleapis.com``). Lowercase: they are matched as keys."""
    server = _server(document.get("servers"), document)
    host = (urlsplit(server if "//" in server else f"//{server}").hostname or "") if server else ""
    labels = [label for label in host.lower().split(".") if label]
    if len(labels) < 2 or all(label.isdigit() for label in labels):
        return ()
    # ``example.co.uk``: the brand sits before a two-part public suffix.
    second_level = len(labels) >= 3 and labels[-2] in _SECOND_LEVEL_SUFFIXES and len(labels[-1]) == 2
    aliases = {labels[-3] if second_level else labels[-2]: None}
    words = (group or "").split()
    if len(words) > 1 and words[0].lower() in labels:  # a whole label: not ``custom`` of customsearch
        aliases = {words[0].lower(): None} | aliases
    return tuple(alias for alias in aliases if alias != (group or "").lower())


def load_openapi(document: dict[str, Any], where: str = "openapi") -> list[ToolItem]:
    """One :class:`ToolItem` per operation of ``document``, in path order (see the module docstring).

    A parameter without a name, which no call could send, is left out with a warning in the log.

    Raises:
        SpecError: The document is of an unsupported version, has no ``paths`` object, holds a
            ``$ref`` that is not local or points nowhere, or an operation's parameters do not make a
            valid schema; the message names the operation (``GET /pets/{id}``) and the problem.
    """
    version = str(document.get("openapi") or document.get("swagger") or "")
    if not (version.startswith("3.") or version == "2.0"):
        raise SpecError(where, f"unsupported OpenAPI version {version!r} (3.x and Swagger 2.0 are read)")
    paths = document.get("paths")
    if not isinstance(paths, dict):
        raise SpecError(where, "an OpenAPI document needs a 'paths' object", "/paths")
    resolver = _Resolver(document, where)  # errors outside operations name the document
    found: list[tuple[str, str, dict[str, Any], str | None, _Parameters]] = []
    for path, path_item in paths.items():
        path_item = resolver.resolve(path_item, f"/paths/{_escape(path)}")
        if not isinstance(path_item, dict):
            continue
        for method, operation in path_item.items():
            if method in METHODS and isinstance(operation, dict):
                at = f"{where} {method.upper()} {path}"
                server = _server(operation.get("servers") or path_item.get("servers") or document.get("servers"),
                                 document)
                found.append((path, method, operation, server,
                              _Parameters(_Resolver(document, at), path_item, operation)))
    shared = _transport_parameters([parameters.optional() for *_, parameters in found])
    tools: list[ToolItem] = []
    taken: set[str] = set()
    for path, method, operation, server, parameters in found:
        name = _unique(_tool_name(operation.get("operationId"), method, path), taken)
        taken.add(name)
        tools.append(build_tool(
            name=name,
            description=_description(operation),
            parameters=parameters.schema(leave_out=shared),
            format="openapi",
            spec={"method": method.upper(), "server": server, "path": path, "operation": operation},
            where=parameters.where,
        ))
    return tools


def _server(servers: Any, document: dict[str, Any]) -> str | None:
    """The base URL an operation is called at: its first server (OpenAPI 3: the operation's, path's or
    document's, ``{variables}`` at their defaults), or Swagger 2.0's scheme, host and base path;
    None when the document names none."""
    first = servers[0] if isinstance(servers, list) and servers else None
    if isinstance(first, dict) and isinstance(first.get("url"), str):
        url = first["url"]
        variables = first.get("variables") if isinstance(first.get("variables"), dict) else {}
        for name, variable in variables.items():
            if isinstance(variable, dict) and isinstance(variable.get("default"), str | int | float):
                url = url.replace(f"{{{name}}}", str(variable["default"]))
        return url
    host = document.get("host")
    if not isinstance(host, str) or not host:
        return None
    schemes = document.get("schemes")
    scheme = schemes[0] if isinstance(schemes, list) and schemes and isinstance(schemes[0], str) else "https"
    base_path = document.get("basePath") if isinstance(document.get("basePath"), str) else ""
    return f"{scheme}://{host}{base_path}".rstrip("/")


def _transport_parameters(optional: list[set[tuple[str, str]]]) -> frozenset[tuple[str, str]]:
    """The optional parameters (name, location) that nearly every operation of a document declares:
    Google's ``alt``, ``fields``, ``quotaUser``, ``prettyPrint`` ... tune the transport, not the call,
    and repeated on every tool they are the boilerplate that makes a generated catalog's tools read
    alike (in e5's vectors too) and cost an LLM tokens on each."""
    if len(optional) < MIN_OPERATIONS_FOR_SHARED:
        return frozenset()
    counts = Counter(key for keys in optional for key in keys)
    return frozenset(key for key, count in counts.items() if count >= SHARED_PARAMETER_SHARE * len(optional))


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _tool_name(operation_id: Any, method: str, path: str) -> str:
    raw = operation_id if isinstance(operation_id, str) and operation_id.strip() else f"{method} {path}"
    name = _NAME_UNSAFE.sub("_", raw.replace("{", "").replace("}", "")).strip("_")
    return (name or method)[:MAX_TOOL_NAME]


def _unique(name: str, taken: set[str]) -> str:
    count = 1
    candidate = name
    while candidate in taken:
        count += 1
        suffix = f"_{count}"
        candidate = name[: MAX_TOOL_NAME - len(suffix)] + suffix
    return candidate


def _description(operation: dict[str, Any]) -> str:
    summary = " ".join(plain_text(operation.get("summary")).split())
    description = plain_text(operation.get("description"))
    if summary and description.lower().startswith(summary.lower().rstrip(".")):
        summary = ""
    text = f"{summary.rstrip('.')}. {description}" if summary and description else summary or description
    return f"{text} (deprecated)".strip() if operation.get("deprecated") is True else text


class _Resolver:
    """Local ``$ref`` lookup in one document, and schemas with their ``$ref``\\ s inlined (at most
    :data:`MAX_INLINED_REFS` per resolver: one is made per operation)."""

    def __init__(self, document: dict[str, Any], where: str) -> None:
        self.document = document
        self.where = where
        self.refs_left = MAX_INLINED_REFS

    def target(self, ref: Any, pointer: str) -> tuple[str, Any]:
        """The name (last pointer segment) and value a ``$ref`` points to."""
        if not isinstance(ref, str) or not ref.startswith("#"):
            raise SpecError(self.where, f"$ref {ref!r} is not in this document; bundle the API's files "
                                        "into one document first", pointer)
        node: Any = self.document
        # A URI fragment: percent-encoded (``~1paths~1%7Bid%7D``), then JSON-pointer-escaped.
        parts = [p.replace("~1", "/").replace("~0", "~") for p in unquote(ref[1:]).split("/")[1:]]
        for part in parts:
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                raise SpecError(self.where, f"$ref {ref!r} points to nothing in the document", pointer)
        return (parts[-1] if parts else ""), node

    def resolve(self, node: Any, pointer: str) -> Any:
        """``node`` with a top-level ``$ref`` (also a chain of them) followed."""
        seen: set[str] = set()
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            if ref in seen:
                raise SpecError(self.where, f"$ref {ref!r} refers to itself", pointer)
            seen.add(ref)
            node = self.target(ref, pointer)[1]
        return node

    def inline(self, schema: Any, pointer: str, *, depth: int = 0, active: tuple[str, ...] = ()) -> Any:
        """A copy of ``schema`` with ``$ref``\\ s replaced by what they point to, read as JSON Schema
        for a request (``readOnly`` properties, which only responses carry, dropped)."""
        if not isinstance(schema, dict):
            return copy.deepcopy(schema) if isinstance(schema, list) else schema
        if "$ref" in schema:
            ref = schema["$ref"]
            name, target = self.target(ref, pointer)
            if ref in active or depth >= MAX_INLINE_DEPTH or self.refs_left <= 0:
                kind = target.get("type") if isinstance(target, dict) else None
                stub: dict[str, Any] = {"description": f"{name} ({'recursive' if ref in active else 'not expanded'})"}
                return {"type": kind, **stub} if isinstance(kind, str | list) else stub
            self.refs_left -= 1
            siblings = {k: v for k, v in schema.items() if k != "$ref"}
            inlined = self.inline(target, pointer, depth=depth, active=(*active, ref))
            return {**inlined, **self.inline(siblings, pointer, depth=depth, active=active)} \
                if isinstance(inlined, dict) else inlined
        out: dict[str, Any] = {}
        for key, value in schema.items():
            if key == "properties" and isinstance(value, dict):
                value = {name: self.inline(sub, pointer, depth=depth + 1, active=active)
                         for name, sub in value.items()
                         if not (isinstance(sub, dict) and self._read_only(sub, pointer))}
            elif key in ("items", "additionalProperties", "not") and isinstance(value, dict):
                value = self.inline(value, pointer, depth=depth + 1, active=active)
            elif key in ("allOf", "anyOf", "oneOf") and isinstance(value, list):  # alternatives at this level
                value = [self.inline(sub, pointer, depth=depth, active=active) for sub in value]
            elif key in ("example", "examples", "xml", "externalDocs", "discriminator"):
                continue  # documentation for humans and serializers, not arguments
            else:
                value = copy.deepcopy(value)
            out[key] = value
        return _json_schema(out)

    def _read_only(self, schema: dict[str, Any], pointer: str) -> bool:
        return self.resolve(schema, pointer).get("readOnly") is True if "$ref" in schema else \
            schema.get("readOnly") is True


def _json_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """OpenAPI's schema dialect as JSON Schema: boolean exclusive bounds (OpenAPI 3.0, Swagger),
    ``type: file`` (Swagger), and a ``required`` that is no list of names dropped."""
    for bound, exclusive in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        if isinstance(schema.get(exclusive), bool) and schema.pop(exclusive) and bound in schema:
            schema[exclusive] = schema.pop(bound)
    if schema.get("type") == "file":
        schema.update(type="string", format="binary")
    required = schema.get("required")
    if required is not None and not (isinstance(required, list) and all(isinstance(r, str) for r in required)):
        del schema["required"]
    return schema


class _Parameters:
    """One operation's arguments (see the module docstring): its declared parameters (the path
    item's, overridden by the operation's) and, from them and its body, their JSON Schema."""

    def __init__(self, resolver: _Resolver, path_item: dict[str, Any], operation: dict[str, Any]) -> None:
        self.resolver = resolver
        self.where = resolver.where
        self.operation = operation
        self.declared = self._declared(path_item, operation)

    def optional(self) -> set[tuple[str, str]]:
        """The (name, location) of the operation's optional query, header and cookie parameters."""
        return {(p["name"], p.get("in")) for p in self.declared
                if p.get("in") in ("query", "header", "cookie") and p.get("required") is not True}

    def schema(self, *, leave_out: frozenset[tuple[str, str]] = frozenset()) -> dict[str, Any]:
        """The arguments' schema, without the optional parameters ``leave_out`` names."""
        properties: dict[str, Any] = {}
        required: list[str] = []
        body: tuple[Any, bool, str] | None = None  # (schema, required, description)
        form: list[tuple[str, Any, bool]] = []
        for parameter in self.declared:
            location, name = parameter.get("in"), parameter.get("name")
            if (name, location) in leave_out and parameter.get("required") is not True:
                continue
            if location == "body":  # Swagger 2.0
                body = (parameter.get("schema") or {}, parameter.get("required") is True,
                        plain_text(parameter.get("description")))
                continue
            if location == "header" and name.lower() in IGNORED_HEADERS:
                continue
            schema = self._parameter_schema(parameter)
            if location == "formData":  # Swagger 2.0
                form.append((name, schema, parameter.get("required") is True))
                continue
            key = name if name not in properties else f"{name}_{location}"
            properties[key] = schema
            if parameter.get("required") is True or location == "path":
                required.append(key)
        if form:
            body = ({"type": "object", "properties": {n: s for n, s, _ in form},
                     "required": [n for n, _, r in form if r]}, any(r for _, _, r in form), "")
        request_body = self.resolver.resolve(self.operation.get("requestBody"), "/requestBody")
        if isinstance(request_body, dict):
            body = (self._media_schema(request_body.get("content")), request_body.get("required") is True,
                    plain_text(request_body.get("description")))
        if body is not None:
            self._add_body(properties, required, *body)
        schema: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            schema["required"] = list(dict.fromkeys(required))
        return schema

    def _declared(self, path_item: dict[str, Any], operation: dict[str, Any]) -> list[dict[str, Any]]:
        """The path item's parameters overridden by the operation's (same name and location)."""
        declared: dict[tuple[Any, Any], dict[str, Any]] = {}
        for source in (path_item.get("parameters"), operation.get("parameters")):
            for index, parameter in enumerate(source if isinstance(source, list) else []):
                parameter = self.resolver.resolve(parameter, f"/parameters/{index}")
                if not isinstance(parameter, dict):
                    raise SpecError(self.where, "a parameter is not an object", f"/parameters/{index}")
                if not isinstance(parameter.get("name"), str) or not parameter["name"].strip():
                    # No call can send it; real documents carry such leftovers (Notion's has an empty header).
                    logger.warning("toolrouter: %s: parameter %d has no name; left out", self.where, index)
                    continue
                declared[(parameter.get("name"), parameter.get("in"))] = parameter
        return list(declared.values())

    def _parameter_schema(self, parameter: dict[str, Any]) -> dict[str, Any]:
        if isinstance(parameter.get("schema"), dict):
            raw = parameter["schema"]
        elif isinstance(parameter.get("content"), dict):
            raw = self._media_schema(parameter["content"])
        else:  # Swagger 2.0: the schema keywords sit on the parameter itself
            raw = {k: v for k, v in parameter.items()
                   if k not in ("name", "in", "required", "description", "allowEmptyValue", "collectionFormat")}
        schema = self.resolver.inline(raw, "/parameters")
        if not isinstance(schema, dict):
            schema = {}
        description = plain_text(parameter.get("description"))
        return {**schema, "description": description} if description else schema

    def _media_schema(self, content: Any) -> Any:
        if not isinstance(content, dict) or not content:
            return {}
        types = list(content)
        preferred = (next((t for t in types if t.split(";")[0].strip().lower() == "application/json"), None)
                     or next((t for t in types if "json" in t.lower()), None)
                     or next((t for t in types if t.split(";")[0].strip().lower() in _FORM_TYPES), None)
                     or types[0])
        media = content[preferred]
        return media.get("schema", {}) if isinstance(media, dict) else {}

    def _add_body(self, properties: dict[str, Any], required: list[str], raw: Any, is_required: bool,
                  description: str) -> None:
        schema = self.resolver.inline(raw, "/requestBody")
        if not isinstance(schema, dict):
            schema = {}
        merged = self._object_properties(schema)
        if merged is not None and merged[0] and not set(merged[0]) & set(properties):
            properties.update(merged[0])
            if is_required:
                required.extend(merged[1])
            return
        name = "body" if "body" not in properties else "request_body"
        properties[name] = {**schema, "description": description} if description else schema
        if is_required:
            required.append(name)

    @staticmethod
    def _object_properties(schema: dict[str, Any]) -> tuple[dict[str, Any], list[str]] | None:
        """An object body's properties and required names (``allOf`` parts merged), or None for
        a body that is not a plain object (an array, a string, a choice of shapes)."""
        if schema.get("type") not in (None, "object") or "oneOf" in schema or "anyOf" in schema:
            return None
        properties: dict[str, Any] = {}
        required: list[str] = []
        for part in [schema, *(schema.get("allOf") or [])]:
            if not isinstance(part, dict):
                return None
            if isinstance(part.get("properties"), dict):
                properties.update(part["properties"])
            required += [r for r in part.get("required") or [] if isinstance(r, str)]
        return properties, [r for r in required if r in properties]
