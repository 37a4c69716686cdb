"""OpenAPI documents as tools: one tool per operation, grouped by the API, $refs inlined."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from toolrouter import Router
from toolrouter.errors import SpecError
from toolrouter.registry import Registry
from toolrouter.registry.openapi import MAX_INLINE_DEPTH, MAX_TOOL_NAME, openapi_aliases, openapi_group

PETSTORE = Path(__file__).parent / "data" / "petstore.yaml"

# A Swagger 2.0 document: body and formData parameters, a file upload, an operation without an id.
SWAGGER = {
    "swagger": "2.0",
    "info": {"title": "Acme Files API v2", "version": "2.1", "description": "Store and share files."},
    "host": "files.acme.example", "basePath": "/v2/",
    "paths": {
        "/folders/{folder}/files": {
            "post": {
                "operationId": "files.upload",
                "summary": "Upload a file.",
                "description": "Upload a file into a folder",
                "consumes": ["multipart/form-data"],
                "parameters": [
                    {"name": "folder", "in": "path", "type": "string", "required": True},
                    {"name": "file", "in": "formData", "type": "file", "required": True,
                     "description": "The file's bytes"},
                    {"name": "overwrite", "in": "formData", "type": "boolean"},
                ],
            },
            "put": {
                "parameters": [
                    {"name": "folder", "in": "path", "type": "string", "required": True},
                    {"name": "body", "in": "body", "required": True, "schema": {"$ref": "#/definitions/Share"}},
                ],
            },
        },
    },
    "definitions": {
        "Share": {"type": "object", "required": ["email"],
                  "properties": {"email": {"type": "string"}, "role": {"type": "string", "enum": ["read", "edit"]}}},
    },
}


def test_a_yaml_document_becomes_one_tool_per_operation_in_the_apis_group():
    registry = Registry()
    added = registry.add_tools(PETSTORE.read_text())
    assert [t.name for t in added] == ["listPets", "createPets", "showPetById", "delete_pets_petId"]
    assert {t.group for t in added} == {"Petstore"}
    assert registry.groups["Petstore"].description == (
        "A sample API that uses a petstore as an example to demonstrate features of the OpenAPI 3.0 "
        "specification.")
    listing, create, show, delete = added
    # The Authorization header is the client's business (OpenAPI ignores it as a parameter).
    assert listing.parameters == {"type": "object", "properties": {"limit": {
        "type": "integer", "maximum": 100, "format": "int32",
        "description": "How many items to return at one time (max 100)"}}}
    assert (listing.format, listing.spec["method"], listing.spec["server"], listing.spec["path"]) == (
        "openapi", "GET", "http://petstore.swagger.io/v1", "/pets")
    assert listing.description == "List all pets"
    # The JSON body's properties sit beside the parameters; the read-only id, the example and the
    # boolean exclusiveMinimum (OpenAPI 3.0) are gone or rewritten; the recursive parent stops.
    assert create.parameters["required"] == ["name"]
    assert set(create.parameters["properties"]) == {"name", "tag", "age", "parent"}
    assert create.parameters["properties"]["age"] == {"type": "integer", "exclusiveMinimum": 0}
    assert create.parameters["properties"]["name"] == {"type": "string"}
    assert create.parameters["properties"]["parent"] == {"type": "object", "description": "Pet (recursive)"}
    # A path-level $ref parameter applies to the path's operations and is required.
    assert show.parameters["required"] == ["petId"]
    assert show.parameters["properties"]["petId"]["description"] == "The id of the pet to retrieve"
    assert show.description == "Info for a specific pet, with its tag."  # the summary it starts with, once
    assert delete.description == "Deletes a pet; use the adoption API instead. (deprecated)"
    assert "tool: createPets" in create.text and "name (string, required)" in create.text
    json.dumps([t.spec for t in added])  # dates stay strings: the specs are JSON (registry files)


def test_yaml_documents_in_any_key_order():
    text = "---\ninfo:\n  title: Pings\npaths:\n  /ping:\n    get:\n      operationId: ping\nswagger: '2.0'\n"
    assert [t.name for t in Registry().add_tools(text)] == ["ping"]


def test_swagger_2_body_and_form_parameters():
    registry = Registry()
    upload, share = registry.add_tools(SWAGGER)
    assert (upload.name, share.name) == ("files_upload", "put_folders_folder_files")
    assert registry.groups["Acme Files"].description == "Store and share files."
    assert upload.description == "Upload a file into a folder"
    assert upload.spec["server"] == share.spec["server"] == "https://files.acme.example/v2"
    assert upload.parameters == {"type": "object", "properties": {
        "folder": {"type": "string"},
        "file": {"type": "string", "format": "binary", "description": "The file's bytes"},
        "overwrite": {"type": "boolean"},
    }, "required": ["folder", "file"]}
    assert share.parameters == {"type": "object", "properties": {
        "folder": {"type": "string"},
        "email": {"type": "string"},
        "role": {"type": "string", "enum": ["read", "edit"]},
    }, "required": ["folder", "email"]}


def test_a_body_that_is_no_object_or_clashes_with_a_parameter_is_one_argument():
    document = {"openapi": "3.1.0", "info": {"title": "Tags"}, "paths": {"/items/{id}/tags": {
        "put": {"operationId": "setTags", "parameters": [{"name": "id", "in": "path", "schema": {"type": "string"}}],
                "requestBody": {"description": "The tags", "content": {"application/json": {
                    "schema": {"type": "array", "items": {"type": "string"}}}}}},
        "patch": {"operationId": "renameItem",
                  "parameters": [{"name": "id", "in": "path", "schema": {"type": "string"}}],
                  "requestBody": {"required": True, "content": {"application/json": {"schema": {
                      "type": "object", "properties": {"id": {"type": "string"}, "title": {"type": "string"}}}}}}},
    }}}
    set_tags, rename = Registry().add_tools(document)
    assert set_tags.parameters["properties"]["body"] == {
        "type": "array", "items": {"type": "string"}, "description": "The tags"}
    assert set_tags.parameters["required"] == ["id"]  # the body is optional
    assert set(rename.parameters["properties"]) == {"id", "body"}
    assert rename.parameters["required"] == ["id", "body"]


def test_refs_nested_past_the_inline_depth_keep_their_type_and_name():
    schemas = {f"L{level}": {"type": "object", "properties": {"next": {"$ref": f"#/components/schemas/L{level + 1}"}}}
               for level in range(6)}
    document = {"openapi": "3.0.0", "info": {"title": "Deep"}, "components": {"schemas": schemas}, "paths": {
        "/deep": {"post": {"operationId": "deep", "requestBody": {"content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/L0"}}}}}}}}
    schema = Registry().add_tools(document)[0].parameters
    for _ in range(MAX_INLINE_DEPTH - 1):
        schema = schema["properties"]["next"]
    assert schema["properties"]["next"] == {"type": "object", "description": f"L{MAX_INLINE_DEPTH} (not expanded)"}


@pytest.mark.parametrize("operations", [5, 4])
def test_optional_parameters_every_operation_declares_are_transport_settings(operations):
    """Google's documents give every operation ``alt``, ``fields``, ``quotaUser`` ...: from five
    operations on, an optional parameter nearly all of them declare is left out; required ones stay."""
    common = [{"$ref": "#/components/parameters/alt"}, {"$ref": "#/components/parameters/fields"},
              {"name": "userId", "in": "path", "required": True, "schema": {"type": "string"}}]
    search = [{"name": "q", "in": "query", "schema": {"type": "string"}}]
    paths = {f"/users/{{userId}}/things{i}": {"parameters": common, "get": {
        "operationId": f"things{i}.list", "parameters": search if i == 0 else []}} for i in range(operations)}
    document = {"openapi": "3.0.0", "info": {"title": "Things"}, "paths": paths, "components": {"parameters": {
        "alt": {"name": "alt", "in": "query", "schema": {"type": "string", "enum": ["json", "proto"]}},
        "fields": {"name": "fields", "in": "query", "schema": {"type": "string"}}}}}
    tool = Registry().add_tools(document)[0]
    expected = ["userId", "q"] if operations == 5 else ["alt", "fields", "userId", "q"]
    assert list(tool.parameters["properties"]) == expected and tool.parameters["required"] == ["userId"]


def test_the_server_is_the_operations_own_or_the_documents_with_its_variables_at_their_defaults():
    document = {"openapi": "3.0.0", "info": {"title": "Regions"},
                "servers": [{"url": "https://{region}.api.example/{version}",
                             "variables": {"region": {"default": "eu"}, "version": {"default": "v1"}}}],
                "paths": {"/a": {"get": {"operationId": "a"}},
                          "/b": {"servers": [{"url": "https://uploads.example"}], "get": {"operationId": "b"}}}}
    a, b = Registry().add_tools(document)
    assert (a.spec["server"], b.spec["server"]) == ("https://eu.api.example/v1", "https://uploads.example")
    bare = {"openapi": "3.0.0", "info": {"title": "Bare"}, "paths": {"/c": {"get": {"operationId": "c"}}}}
    assert Registry().add_tools(bare)[0].spec["server"] is None


def test_names_are_what_openai_accepts_and_unique_within_the_document():
    long_id = "x" * 80
    document = {"openapi": "3.0.3", "info": {"title": "API"}, "paths": {
        "/a": {"get": {"operationId": "repos/list for-user"}, "post": {"operationId": long_id}},
        "/b": {"get": {"operationId": "repos/list for-user"}, "post": {"operationId": long_id}},
        "/c/{id}.json": {"get": {}},
    }}
    registry = Registry()
    names = [t.name for t in registry.add_tools(document)]
    assert names == ["repos_list_for-user", "x" * MAX_TOOL_NAME, "repos_list_for-user_2",
                     "x" * (MAX_TOOL_NAME - 2) + "_2", "get_c_id_json"]
    # A title that is all boilerplate names no group.
    assert registry.groups == {} and {t.group for t in registry.tools} == {None}


def test_a_given_group_or_namespace_wins_over_the_title():
    registry = Registry()
    registry.add_tools(SWAGGER, group="files", group_description="Our file store")
    assert registry.groups["files"].description == "Our file store"
    registry.add_tools(PETSTORE.read_text(), namespace="pets")
    assert registry.group_of(registry["pets__listPets"]) == "pets"
    assert registry.groups["pets"].description.startswith("A sample API")


@pytest.mark.parametrize(("title", "group"), [
    ("GitHub v3 REST API", "GitHub"),
    ("The Jira Cloud platform REST API", "Jira Cloud platform"),
    ("Twilio - Api", "Twilio"),
    ("Twilio - Conversations", "Twilio Conversations"),
    ("Email Activity (beta)", "Email Activity"),
    ("Weatherbit - Interactive Swagger UI Documentation", "Weatherbit"),
    ("Netlify's API documentation", "Netlify"),
    ("ExchangeRate-API", "ExchangeRate"),
    ("Google Docs API", "Google Docs"),
    ("On-Demand Flight Status", "On-Demand Flight Status"),
    ("REST API v1.2", None),
])
def test_the_group_is_the_title_without_api_boilerplate(title, group):
    assert openapi_group({"info": {"title": title, "description": "<p>What it <i>does</i>.</p>"}}) == (
        group, "What it does.")


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d.update(openapi="4.0"), "tools: unsupported OpenAPI version '4.0'"),
    (lambda d: d["paths"]["/pets"]["get"]["parameters"].append({"$ref": "common.yaml#/limit"}),
     "tools GET /pets at /parameters/2: $ref 'common.yaml#/limit' is not in this document; bundle"),
    (lambda d: d["paths"]["/pets"]["post"]["requestBody"]["content"]["application/json"].update(
        schema={"$ref": "#/components/schemas/Cat"}),
     "tools POST /pets at /requestBody: $ref '#/components/schemas/Cat' points to nothing in the document"),
    (lambda d: d["components"]["schemas"]["Pet"]["properties"]["tag"].update(pattern=0),
     "tool 'createPets' at /parameters/properties/tag/pattern: invalid JSON Schema"),
])
def test_broken_documents_are_refused_naming_the_operation(change, message):
    import yaml

    document = yaml.safe_load(PETSTORE.read_text())
    document["info"]["version"] = "1"
    change(document)
    with pytest.raises(SpecError) as raised:
        Registry().add_tools(document)
    assert str(raised.value).startswith(message)


def test_a_parameter_without_a_name_is_left_out_with_a_warning(caplog):
    document = {"openapi": "3.0.0", "info": {"title": "Pages"}, "paths": {"/pages/{id}": {"get": {
        "operationId": "getPage", "parameters": [{"in": "path", "name": "id", "schema": {"type": "string"}},
                                                 {"in": "header", "name": "", "schema": {"type": "string"}}]}}}}
    (page,) = Registry().add_tools(document)
    assert page.parameters == {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]}
    assert "tools GET /pages/{id}: parameter 1 has no name; left out" in caplog.text


def test_documents_in_a_list_and_broken_yaml_are_refused():
    with pytest.raises(SpecError, match=r"tools\[1\]: an OpenAPI document in a list"):
        Registry().add_tools([{"name": "ping"}, SWAGGER])
    with pytest.raises(SpecError, match="openapi: not valid YAML"):
        Registry().add_tools("openapi: 3.0.0\npaths: [unclosed")


def mail_api(title: str, host: str) -> dict:
    return {"openapi": "3.0.0", "info": {"title": title}, "servers": [{"url": f"https://{host}/v3"}],
            "paths": {"/mail/send": {"post": {"operationId": f"{title.split()[0].lower()}_send",
                                              "summary": "Send an email"}},
                      "/validations/email": {"post": {"operationId": f"{title.split()[0].lower()}_validate",
                                                      "summary": "Validate an email address"}}}}


def test_a_request_names_an_api_by_its_hosts_brand_when_no_other_api_shares_it(tmp_path):
    """``Email Activity`` is SendGrid's: ``on SendGrid`` names it. ``googleapis``, which two of the
    APIs share, names neither; an API's first title word counts where it is a label of its host."""
    assert openapi_aliases(mail_api("Email Activity", "api.sendgrid.com"), "Email Activity") == ("sendgrid",)
    assert openapi_aliases(mail_api("YouTube Data", "youtube.googleapis.com"), "YouTube Data") == (
        "youtube", "googleapis")
    assert openapi_aliases(mail_api("Custom Search", "customsearch.googleapis.com"), "Custom Search") == (
        "googleapis",)
    assert openapi_aliases(mail_api("Royal Mail", "api.royalmail.co.uk"), "Royal Mail") == ("royalmail",)
    router = Router(rerank="none")
    for title, host in (("Email Activity", "api.sendgrid.com"), ("Gmail", "gmail.googleapis.com"),
                        ("Mail Merge", "mailmerge.googleapis.com")):
        router.add_tools(mail_api(title, host))
    assert router.registry.groups["Email Activity"].aliases == ("sendgrid",)
    named = {s.item.name: s.group_named for s in router.explain("on SendGrid, check jane@example.com", k=6).ranking}
    assert named == {"email_send": True, "email_validate": True, "gmail_send": False, "gmail_validate": False,
                     "mail_send": False, "mail_validate": False}
    assert not any(s.group_named for s in router.explain("googleapis mail", k=6).ranking)
    path = tmp_path / "registry.json"
    router.registry.save(path)
    assert Registry.load(path).groups == router.registry.groups


def test_a_router_over_openapi_documents_routes_to_the_right_apis_operation(tmp_path):
    router = Router(rerank="none")
    router.add_tools(PETSTORE.read_text())
    router.add_tools(SWAGGER)
    picked = router.explain("upload my vacation photo to the holiday folder", k=1).ranking[0]
    assert (picked.item.name, picked.group) == ("files_upload", "Acme Files")
    assert router.select_tools("list the pets in the store", k=1)[0].name == "listPets"
    path = tmp_path / "registry.json"
    router.registry.save(path)
    assert Registry.load(path)["createPets"] == router.registry["createPets"]
