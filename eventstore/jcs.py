"""RFC 8785 (JSON Canonicalization Scheme) bytes, at orjson's speed.

JCS is compact JSON with object members sorted by the UTF-16 code units of their names,
strings escaped as ECMAScript's ``JSON.stringify`` escapes them, and numbers written as
ECMAScript's ``Number.prototype.toString`` writes them (``66`` for 66.0, ``1e+21``,
``0.000001``). orjson already escapes strings that way; what it writes differently is
numbers (``66.0``) and, for names beyond the Basic Multilingual Plane, the member order. So
this module hands orjson the members in JCS order and each float as a pre-written fragment;
a property test holds the result to the ``rfc8785`` reference package byte for byte (which
is some fifty times slower: it serialises in Python).

Integers are exact in JCS only within ±(2**53 - 1), the IEEE doubles' safe range; beyond
it, :func:`jcs` refuses the value (no event the domain makes holds one).
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import orjson

SAFE_INTEGER = 2**53 - 1


def jcs(value: Any) -> bytes:
    """The RFC 8785 canonical bytes of a JSON value (dicts with str keys, lists, tuples,
    str, int, float, bool, None)."""
    return orjson.dumps(_prepared(value))


def _prepared(value: Any) -> Any:
    if isinstance(value, str) or value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        if not -SAFE_INTEGER <= value <= SAFE_INTEGER:
            raise ValueError(f"{value} is beyond the integers RFC 8785 represents exactly")
        return value
    if isinstance(value, float):
        return orjson.Fragment(number_text(value))
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise TypeError(f"JSON object names are strings, not {type(key).__name__}")
        return {key: _prepared(value[key]) for key in sorted(value, key=_utf16)}
    if isinstance(value, (list, tuple)):
        return [_prepared(item) for item in value]
    raise TypeError(f"{type(value).__name__} is not a JSON value")


def _utf16(key: str) -> bytes:
    return key.encode("utf-16-be", "surrogatepass")


def number_text(number: float) -> str:
    """``Number.prototype.toString`` of a finite double (ECMA-262 Number::toString)."""
    if not math.isfinite(number):
        raise ValueError(f"{number} has no JSON form")
    if number == 0:
        return "0"  # -0 included
    sign = "-" if number < 0 else ""
    # repr gives the shortest digits that round-trip, as ECMAScript asks for.
    _, digit_tuple, exponent = Decimal(repr(abs(number))).as_tuple()
    digits = "".join(map(str, digit_tuple)).rstrip("0")
    assert isinstance(exponent, int)
    exponent += len(digit_tuple) - len(digits)
    k = len(digits)
    n = exponent + k  # the value is 0.digits * 10**n
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * -n + digits
    else:
        e = n - 1
        mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
        text = f"{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"
    return sign + text
