"""The agent API's OpenAPI document: request examples that decode, problem responses listed."""

import typing
from typing import Any

import msgspec
import pytest
from litestar.params import BodyKwarg

from tests.ticket_service.helpers import TicketsApi
from ticket_service.api import openapi_examples

BODY_TYPES = [
    value
    for name, value in vars(openapi_examples).items()
    if name.endswith("Body") and typing.get_origin(value) is typing.Annotated
]


@pytest.mark.parametrize(
    "body_type", BODY_TYPES, ids=lambda body: typing.get_args(body)[0].__name__
)
def test_request_example_decodes(body_type: Any) -> None:
    schema, *metadata = typing.get_args(body_type)
    [body] = [item for item in metadata if isinstance(item, BodyKwarg)]
    assert body.examples

    for example in body.examples:
        decoded = msgspec.convert(example.value, schema)

        assert isinstance(decoded, schema)


async def test_document_lists_examples_and_problems(tickets: TicketsApi) -> None:
    response = await tickets.client.get("/schema/openapi.json")

    assert response.status_code == 200
    patch = response.json()["paths"]["/tickets/{ticket_id}"]["patch"]
    body = patch["requestBody"]["content"]["application/json"]["schema"]
    assert body["examples"][0]["status"] == "Waiting on Customer"
    for status in ("400", "401", "404", "409", "412"):
        problem = patch["responses"][status]["content"]["application/problem+json"]
        assert problem["schema"]["$ref"].endswith("/ProblemDetails")
    precondition = next(
        iter(patch["responses"]["412"]["content"]["application/problem+json"]["examples"].values())
    )
    assert precondition["value"]["status"] == 412
