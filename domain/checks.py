"""What a command may carry, and the small checks shared by the deciders.

Every command is checked field by field when it is built (see :func:`check_command`); the
limits below are the whole of it, in one place:

- ids (``*_id``, and each entry of ``*_ids``): 1 to :data:`ID_MAX_LENGTH` characters, none
  of them whitespace, control, format, private-use, unassigned or surrogate characters
  (``id.blank``, ``id.too_long``, ``id.invalid``); lists of ids hold at most
  :data:`MAX_IDS` entries (``list.too_long``);
- names (names, titles, units, owners, source systems, external references): at most
  :data:`NAME_MAX_LENGTH` characters; free text (descriptions, notes, reasons): at most
  :data:`TEXT_MAX_LENGTH` (``text.too_long``); neither holds a control character other
  than tab and line breaks (NUL included, so both backends store the same texts) or a lone
  surrogate (which no JSON encoder can write) (``text.invalid``);
- numbers: true numbers only (``True`` is not 1; ``input.invalid``), finite ones of
  magnitude at most :data:`MAX_MAGNITUDE` (``number.out_of_range``; NaN and infinities get
  the command's own ``*.non_finite`` code), so sums over a year and scores stay finite;
  weights from 0 to :data:`MAX_WEIGHT` (``weight.invalid``);
- periods and dates: years :data:`MIN_YEAR` to :data:`MAX_YEAR` (``period.invalid``,
  ``date.out_of_range``), so every trend window and aggregation lies in the calendar;
- anything the command's types refuse (a missing field, a wrong type, an unknown field)
  is ``input.invalid`` naming the field, and a malformed period ``period.invalid``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import types
import typing
from collections.abc import Iterator
from enum import Enum
from typing import Any

from pydantic import BaseModel, ValidationError

from domain.errors import DomainError, reject
from domain.periods import Period
from domain.scoring import Thresholds, thresholds_are_valid

ID_MAX_LENGTH = 128
"""Longest id, in characters (PostgreSQL indexes them; 8 KB ids broke its index insert)."""
NAME_MAX_LENGTH = 200
"""Longest name, title, unit, owner, source system or external reference."""
TEXT_MAX_LENGTH = 2000
"""Longest description, note or reason."""
MAX_IDS = 100
"""Most ids in one list (the objectives of an initiative, a scorecard's perspectives)."""
MAX_MAGNITUDE = 1e15
"""Largest absolute value of a measurement, target, baseline, stretch, range bound,
threshold or score cap."""
MAX_WEIGHT = 1e6
"""Largest weight of a perspective, objective or KPI."""
MIN_YEAR = 1900
"""Earliest year of a period or date a command may name."""
MAX_YEAR = 9999
"""Latest year of a period or date a command may name."""

NAME_FIELDS = frozenset({"name", "title", "unit", "owner", "source_system", "external_reference"})
"""Command fields holding a short, one-line text."""
TEXT_FIELDS = frozenset({"description", "note", "reason"})
"""Command fields holding free text."""

_ID_FORBIDDEN = re.compile(r"[\s\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_TEXT_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_PREVIEW = 40


def _preview(value: str) -> str:
    """The start of a long text, for an error message (a 1 MB name is not echoed back)."""
    if len(value) <= _PREVIEW:
        return value
    return f"{value[:_PREVIEW]}… ({len(value)} characters)"


def _first_forbidden(value: str) -> str:
    match = _TEXT_FORBIDDEN.search(value)
    assert match is not None
    return f"U+{ord(match.group()):04X} at index {match.start()}"


def check_id(value: str, field: str) -> None:
    """Reject an id that is blank, too long, or has characters an id may not hold."""
    if not value.strip():
        raise reject("id.blank", f"{field} must not be blank", field=field, value=value)
    if len(value) > ID_MAX_LENGTH:
        raise reject(
            "id.too_long",
            f"{field} is longer than {ID_MAX_LENGTH} characters",
            field=field,
            value=_preview(value),
        )
    if _ID_FORBIDDEN.search(value) is not None or not value.isprintable():
        bad = next(ch for ch in value if ch.isspace() or not ch.isprintable())
        raise reject(
            "id.invalid",
            f"{field} may not contain whitespace, control or other non-printing characters "
            f"(found U+{ord(bad):04X})",
            field=field,
            value=_preview(value),
        )


def check_text(value: str, field: str, *, free: bool) -> None:
    """Reject a name (``free=False``) or free text that is too long or holds characters
    no text may hold."""
    limit = TEXT_MAX_LENGTH if free else NAME_MAX_LENGTH
    if len(value) > limit:
        raise reject(
            "text.too_long",
            f"{field} is longer than {limit} characters",
            field=field,
            value=_preview(value),
        )
    if _TEXT_FORBIDDEN.search(value) is not None:
        raise reject(
            "text.invalid",
            f"{field} may not contain control characters (tabs and line breaks aside; NUL "
            f"included) or lone surrogates (found {_first_forbidden(value)})",
            field=field,
            value=_preview(value),
        )


def check_number(value: float, field: str) -> None:
    """Reject a finite number beyond :data:`MAX_MAGNITUDE` (non-finite ones are left to
    the command's own check, which names them)."""
    if math.isfinite(value) and abs(value) > MAX_MAGNITUDE:
        raise reject(
            "number.out_of_range",
            f"{field} must be between -{MAX_MAGNITUDE:g} and {MAX_MAGNITUDE:g}",
            field=field,
            value=value,
        )


def check_year(value: Period | dt.date, field: str) -> None:
    """Reject a period or date outside the years :data:`MIN_YEAR`..:data:`MAX_YEAR`."""
    year = value.year_number if isinstance(value, Period) else value.year
    if MIN_YEAR <= year <= MAX_YEAR:
        return
    code = "period.invalid" if isinstance(value, Period) else "date.out_of_range"
    raise reject(
        code,
        f"{field} must lie in the years {MIN_YEAR}..{MAX_YEAR}",
        field=field,
        value=str(value),
    )


def check_command(command: BaseModel) -> None:
    """Check every field of ``command`` (and of the models inside it) against the limits
    above; raise the first violation as a ``DomainError`` naming the field."""
    for field, value in _values(command, ""):
        name = field.rpartition(".")[2].partition("[")[0]
        if isinstance(value, bool | int | Enum):  # an Enum may be a str too
            continue
        if isinstance(value, str):
            if name.endswith(("_id", "_ids")):
                check_id(value, field)
            elif name in NAME_FIELDS or name in TEXT_FIELDS:
                check_text(value, field, free=name in TEXT_FIELDS)
            else:  # a new text field must be placed in one of the kinds above
                raise TypeError(f"{field}: no limits known for this text field")
        elif isinstance(value, float):
            if name != "weight":  # weights are the deciders' (require_weight)
                check_number(value, field)
        elif isinstance(value, Period | dt.date):
            check_year(value, field)
        else:
            raise TypeError(f"{field}: no limits known for {type(value).__name__}")


def _values(model: BaseModel, prefix: str) -> Iterator[tuple[str, Any]]:
    for name in type(model).model_fields:
        value = getattr(model, name)
        field = f"{prefix}{name}"
        if value is None:
            continue
        if isinstance(value, BaseModel):
            yield from _values(value, f"{field}.")
        elif isinstance(value, tuple):
            if len(value) > MAX_IDS:
                raise reject(
                    "list.too_long",
                    f"{field} holds more than {MAX_IDS} entries",
                    field=field,
                    value=len(value),
                )
            yield from ((f"{field}[{i}]", item) for i, item in enumerate(value))
        else:
            yield field, value


def domain_error_from(error: ValidationError, period_fields: frozenset[str]) -> DomainError:
    """The first error pydantic found while building a command, as a coded DomainError:
    ``period.invalid`` for a period field, ``input.invalid`` otherwise."""
    errors = error.errors()
    first = errors[0]
    # A period is a Period or its text: report why the text failed, not the type branch.
    first = next(
        (e for e in errors if e["loc"][:1] == first["loc"][:1] and e["type"] == "value_error"),
        first,
    )
    parts = [
        str(part)
        for part in first["loc"]
        if not str(part).startswith(("function-", "is-instance", "json-or-python", "lax-or"))
    ]
    field = ".".join(parts) or None
    message = str(first["msg"]).removeprefix("Value error, ")
    code = "period.invalid" if parts and parts[0] in period_fields else "input.invalid"
    value = first.get("input")
    shown = _preview(value) if isinstance(value, str) else value
    if isinstance(shown, dict | list | tuple):
        shown = None
    return reject(code, message, field=field, value=shown)


def period_fields(model: type[BaseModel]) -> frozenset[str]:
    """The fields of ``model`` typed as a period (optional or not)."""
    found = set()
    for name, info in model.model_fields.items():
        annotation = info.annotation
        if typing.get_origin(annotation) in (types.UnionType, typing.Union):
            if Period in typing.get_args(annotation):
                found.add(name)
        elif annotation is Period:
            found.add(name)
    return frozenset(found)


# checks the deciders share ----------------------------------------------------------------


def require_text(value: str, code: str, field: str) -> str:
    """Return ``value`` stripped; reject it when blank."""
    stripped = value.strip()
    if not stripped:
        raise reject(code, f"{field} must not be blank", field=field, value=value)
    return stripped


def require_finite(value: float | None, code: str, field: str) -> None:
    """Reject NaN and infinities (None passes)."""
    if value is not None and not math.isfinite(value):
        raise reject(code, f"{field} must be a finite number", field=field, value=value)


def require_weight(value: float, field: str = "weight") -> None:
    """Reject weights that are negative, not finite, or above :data:`MAX_WEIGHT`."""
    if not math.isfinite(value) or not 0 <= value <= MAX_WEIGHT:
        raise reject(
            "weight.invalid",
            f"weight must be a finite number from 0 to {MAX_WEIGHT:g}",
            field=field,
            value=value,
        )


def require_thresholds(thresholds: Thresholds | None, field: str = "thresholds") -> None:
    """Reject thresholds that are not finite, negative, or with green below amber."""
    if thresholds is not None and not thresholds_are_valid(thresholds):
        raise reject(
            "thresholds.invalid",
            "thresholds must be finite, >= 0 and green >= amber",
            field=field,
            value=thresholds.model_dump(),
        )
