"""JSON (de)serialisation for the engines: orjson, returning text for the drivers."""

from __future__ import annotations

from typing import Any

import orjson


def json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def json_loads(value: str | bytes) -> Any:
    return orjson.loads(value)
