"""Small checks shared by the deciders; each raises a coded ``DomainError``."""

from __future__ import annotations

import math

from domain.errors import reject
from domain.scoring import Thresholds, thresholds_are_valid


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
    """Reject weights that are negative or not finite."""
    if not math.isfinite(value) or value < 0:
        raise reject(
            "weight.invalid", "weight must be a finite number >= 0", field=field, value=value
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
