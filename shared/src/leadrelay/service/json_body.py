"""Hot endpoints that read their own JSON body: one pydantic-core pass instead of FastAPI's body solving."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from fastapi import HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError

Model = TypeVar("Model", bound=BaseModel)


class RequestRoute(APIRoute):
    """A route whose endpoint takes the Request and returns a Response: documented like any other, run bare.

    FastAPI still builds the OpenAPI operation from the route (openapi_extra, responses, response_model),
    but calls the endpoint directly: no dependency solving, sub-response or response serialisation, which
    cost the busiest endpoint more CPU than its own work. Exceptions reach the app's handlers as usual.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Return the endpoint itself as the handler."""
        return self.endpoint  # type: ignore[no-any-return]


def is_json(content_type: str | None) -> bool:
    """Return True for a JSON media type (or none given, which FastAPI also reads as JSON)."""
    if not content_type:
        return True
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


def parse_json_body(model: type[Model], body: bytes, content_type: str | None) -> Model:
    """Validate a request body as model: 415 for a non-JSON type, 422 naming every bad field."""
    if not is_json(content_type):
        raise HTTPException(
            415, detail={"error": "unsupported_media_type", "detail": "send the body as application/json"}
        )
    try:
        # Parsing and validating in pydantic-core at once skips json.loads and a Python dict of the body.
        return model.model_validate_json(body)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in errors]) from None


def json_body_openapi(model: type[BaseModel], *header_parameters: dict[str, Any]) -> dict[str, Any]:
    """Return the openapi_extra documenting model as the required JSON body (and any header parameters).

    The app's create_app(schemas=...) must list model, so that its component exists."""
    extra: dict[str, Any] = {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}},
        }
    }
    if header_parameters:
        extra["parameters"] = list(header_parameters)
    return extra


def optional_header(name: str, description: str, max_length: int) -> dict[str, Any]:
    """Return the OpenAPI description of an optional string header of 1 to max_length characters."""
    return {
        "in": "header",
        "name": name,
        "required": False,
        "description": description,
        "schema": {"type": "string", "minLength": 1, "maxLength": max_length},
    }
