"""Answers serialised straight from the domain's views (orjson), without building and validating a response model.

A route that answers on a hot path (the status read) returns :func:`json_response` of :func:`shaped`: the view's
values under the keys of the route's declared response model (nested models likewise), so the OpenAPI
document keeps describing the answer, and a test holds the two to the same JSON
(``tests/api/test_status_document.py``). Aware datetimes are written with ``Z`` for UTC as pydantic writes them.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any, Union, get_args, get_origin

import orjson
from fastapi import Response
from pydantic import BaseModel

_OPTIONS = orjson.OPT_UTC_Z
Shape = Callable[[Any], Any]


def json_response(document: Any, headers: Mapping[str, str] | None = None, status_code: int = 200) -> Response:
    """A JSON response of ``document`` (dicts, lists, str, numbers, bools, None, dates and aware datetimes)."""
    return Response(orjson.dumps(document, option=_OPTIONS), status_code, headers, media_type="application/json")


def shaped(model: type[BaseModel], data: Any, **given: Any) -> dict[str, Any]:
    """The values of ``model``'s fields read from ``data`` (a mapping, or an object such as a domain view by its
    attributes), nested models and lists of them shaped alike; a field named in ``given`` takes that value as it is.
    """
    read = data.__getitem__ if isinstance(data, Mapping) else data.__getattribute__
    return {name: given[name] if name in given else shape(read(name)) for name, shape in _plan(model)}


@cache
def _plan(model: type[BaseModel]) -> tuple[tuple[str, Shape], ...]:
    return tuple((name, _shape_of(field.annotation)) for name, field in model.model_fields.items())


def _shape_of(annotation: Any) -> Shape:
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        options = [a for a in get_args(annotation) if a is not type(None)]
        inner = _shape_of(options[0]) if len(options) == 1 else _same
        return lambda value: None if value is None else inner(value)
    if origin is list:
        item = _shape_of(get_args(annotation)[0])
        return lambda values: [item(v) for v in values]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return lambda value: shaped(annotation, value)
    return _same


def _same(value: Any) -> Any:
    return value
