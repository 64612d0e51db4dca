"""Problem details for invalid requests: field paths and messages a caller can act on."""

import enum
import uuid
from collections.abc import Iterator
from typing import Annotated, Any, Literal

import msgspec
import pytest
from litestar import Litestar, get, post
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.testing import TestClient

from helpdesk_runtime.problems import EXCEPTION_HANDLERS, PROBLEM_JSON


class Shade(enum.StrEnum):
    LIGHT = "Light"
    DARK = "Dark"


class Swatch(msgspec.Struct):
    shade: Shade


class Palette(msgspec.Struct):
    name: Annotated[str, msgspec.Meta(pattern=r"\S")]
    shade: Shade | None = None
    finish: Literal["Gloss", "Matte"] = "Matte"
    swatches: list[Swatch] = []


@post("/palettes")
async def create_palette(data: JSONBody[Palette]) -> dict[str, str]:
    return {"name": data.name}


@get("/palettes")
async def list_palettes(
    shades: Annotated[list[Shade] | None, QueryParameter(name="shade")] = None,
) -> list[str]:
    return [str(shade) for shade in shades or []]


@get("/palettes/{palette_id:uuid}")
async def show_palette(palette_id: FromPath[uuid.UUID]) -> dict[str, str]:
    return {"id": str(palette_id)}


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient[Litestar]]:
    app = Litestar(
        [create_palette, list_palettes, show_palette], exception_handlers=EXCEPTION_HANDLERS
    )
    with TestClient(app) as test_client:
        yield test_client


def only_error(response: Any) -> dict[str, str]:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    [error] = response.json()["errors"]
    return dict(error)


def test_missing_body_asks_for_json(client: TestClient[Litestar]) -> None:
    error = only_error(client.post("/palettes", content=b""))

    assert error["field"] == "$"
    assert error["detail"] == "The request needs a JSON body."


def test_blank_text_says_blank(client: TestClient[Litestar]) -> None:
    error = only_error(client.post("/palettes", json={"name": "  "}))

    assert error["field"] == "$.name"
    assert error["detail"] == "Must not be blank."


def test_invalid_enum_lists_values(client: TestClient[Litestar]) -> None:
    error = only_error(client.post("/palettes", json={"name": "a", "shade": "Pink"}))

    assert error["field"] == "$.shade"
    assert error["detail"] == "Invalid value 'Pink'; expected one of 'Light', 'Dark'."


def test_nested_enum_lists_values(client: TestClient[Litestar]) -> None:
    body = {"name": "a", "swatches": [{"shade": "Dark"}, {"shade": "Pink"}]}

    error = only_error(client.post("/palettes", json=body))

    assert error["field"] == "$.swatches[1].shade"
    assert error["detail"].endswith("expected one of 'Light', 'Dark'.")


def test_form_body_gets_415(client: TestClient[Litestar]) -> None:
    response = client.post("/palettes", data={"name": "a"})

    assert response.status_code == 415
    assert "application/json" in response.json()["detail"]


@pytest.mark.parametrize("body", [b"{oops", b'{"name": "a'])
def test_malformed_json_names_body(client: TestClient[Litestar], body: bytes) -> None:
    response = client.post("/palettes", content=body, headers={"content-type": "application/json"})

    error = only_error(response)
    assert response.json()["title"] == "Invalid request"
    assert error["field"] == "$"
    assert error["detail"].startswith("The body is not valid JSON")


def test_invalid_literal_lists_values(client: TestClient[Litestar]) -> None:
    error = only_error(client.post("/palettes", json={"name": "a", "finish": "Shiny"}))

    assert error["field"] == "$.finish"
    assert error["detail"] == "Invalid value 'Shiny'; expected one of 'Gloss', 'Matte'."


def test_invalid_query_enum_lists_values(client: TestClient[Litestar]) -> None:
    error = only_error(client.get("/palettes", params={"shade": "Pink"}))

    assert error["field"] == "$.shade"
    assert error["detail"] == "Invalid value 'Pink'; expected one of 'Light', 'Dark'."


def test_wrong_path_parameter_type_explained(client: TestClient[Litestar]) -> None:
    response = client.get("/palettes/42")

    assert response.status_code == 404
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert "/palettes/42" in response.json()["detail"]
