"""Our JCS bytes are the RFC 8785 reference implementation's, byte for byte."""

from __future__ import annotations

from typing import Any

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from eventstore.jcs import SAFE_INTEGER, jcs, number_text

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-SAFE_INTEGER, SAFE_INTEGER)
    | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@given(json_values)
def test_the_bytes_are_the_reference_implementations(value: Any) -> None:
    assert jcs(value) == rfc8785.dumps(value)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_every_double_is_written_as_ecmascript_writes_it(number: float) -> None:
    assert number_text(number).encode() == rfc8785.dumps(number)


def test_integers_beyond_the_safe_range_are_refused_naming_the_number() -> None:
    with pytest.raises(ValueError, match=str(SAFE_INTEGER + 1)):
        jcs({"n": SAFE_INTEGER + 1})
