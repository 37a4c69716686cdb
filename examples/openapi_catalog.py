"""Route requests over REST APIs given as OpenAPI documents: one tool per operation, one group per API.

``add_tools`` takes an OpenAPI 3.x or Swagger 2.0 document (a dict, or its JSON or YAML text) and
turns every operation into a function tool named by its ``operationId``, with its parameters and
body in one JSON Schema; the document's title names the group and ``info.description`` describes
it. Each selected tool's ``spec`` keeps the HTTP call to make. Runs offline on the bundled model:

    python examples/openapi_catalog.py
"""

from __future__ import annotations

from toolrouter import Router

TASKS_API = """
openapi: 3.0.3
info:
  title: Tasks REST API
  version: 2.4.0
  description: To-do lists and the tasks on them.
servers:
  - url: https://tasks.example.com/v2
paths:
  /lists/{listId}/tasks:
    parameters:
      - {name: listId, in: path, required: true, schema: {type: string}, description: The to-do list}
    get:
      operationId: listTasks
      summary: List the tasks on a to-do list
      parameters:
        - {name: done, in: query, schema: {type: boolean}, description: Only finished or unfinished tasks}
    post:
      operationId: createTask
      summary: Add a task to a to-do list
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/Task"}
  /lists/{listId}/tasks/{taskId}:
    parameters:
      - {name: listId, in: path, required: true, schema: {type: string}}
      - {name: taskId, in: path, required: true, schema: {type: string}}
    patch:
      operationId: updateTask
      summary: Change a task, or mark it done
      requestBody:
        content:
          application/json:
            schema: {$ref: "#/components/schemas/Task"}
    delete:
      operationId: deleteTask
      summary: Delete a task
components:
  schemas:
    Task:
      type: object
      required: [title]
      properties:
        id: {type: string, readOnly: true}
        title: {type: string}
        due: {type: string, format: date}
        done: {type: boolean}
"""

WEATHER_API = {
    "swagger": "2.0",
    "info": {"title": "Weather API", "version": "1.0", "description": "Forecasts and current conditions."},
    "host": "api.weather.example",
    "basePath": "/v1",
    "paths": {
        "/forecast": {"get": {
            "operationId": "getForecast",
            "summary": "Daily forecast for a place: temperature, rain and wind for the next days",
            "parameters": [{"name": "place", "in": "query", "type": "string", "required": True},
                           {"name": "days", "in": "query", "type": "integer", "maximum": 14}],
        }},
        "/current": {"get": {
            "operationId": "getCurrentConditions",
            "summary": "Current temperature and conditions at a place",
            "parameters": [{"name": "place", "in": "query", "type": "string", "required": True}],
        }},
    },
}

REQUESTS = [
    "add 'renew passport' to my errands list",
    "will it rain in Lisbon this weekend?",
    "Markiere die Aufgabe „Zahnarzt anrufen“ als erledigt",
]


def main() -> None:
    router = Router()
    router.add_tools(TASKS_API)  # YAML text: the group is "Tasks", from the title
    router.add_tools(WEATHER_API)
    print("groups:", ", ".join(f"{g.name} ({g.description})" for g in router.registry.groups.values()))
    for request in REQUESTS:
        top = router.select_tools(request, k=2)
        call = top[0].item.spec
        print(f"request: {request}")
        print(f"  {top[0].name}: {call['method']} {call['server']}{call['path']}  (then {top[1].name})")
        print(f"  arguments: {', '.join(top[0].item.parameters['properties'])}")


if __name__ == "__main__":
    main()
