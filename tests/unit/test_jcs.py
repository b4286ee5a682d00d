"""Canonical bytes follow RFC 8785, checked against the RFC's own examples."""

from __future__ import annotations

import json
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eventstore.canonical import jcs, leaf_bytes


def test_the_rfc_8785_section_3_2_2_example_canonicalizes_byte_for_byte():
    value = {
        "numbers": [333333333.33333329, 1e30, 4.50, 2e-3, 0.000000000000000000000000001],
        "string": "\u20ac$\u000f\u000aA'\u0042\u0022\u005c\\\"/",
        "literals": [None, True, False],
    }
    expected = (
        '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )
    assert jcs(value) == expected.encode()


def test_properties_sort_by_utf16_code_units_as_in_rfc_8785_section_3_2_3():
    value = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    keys = list(json.loads(jcs(value)))
    assert keys == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]


@pytest.mark.parametrize(
    ("bits", "text"),
    [  # RFC 8785 appendix B
        (0x0000000000000000, "0"),
        (0x8000000000000000, "0"),
        (0x0000000000000001, "5e-324"),
        (0x7FEFFFFFFFFFFFFF, "1.7976931348623157e+308"),
        (0x4340000000000000, "9007199254740992"),
        (0x4430000000000000, "295147905179352830000"),
        (0x44B52D02C7E14AF6, "1e+23"),
        (0x3EB0C6F7A0B5ED8D, "0.000001"),
        (0x3EB0C6F7A0B5ED8C, "9.999999999999997e-7"),
    ],
)
def test_numbers_serialize_as_rfc_8785_appendix_b_says(bits, text):
    (number,) = struct.unpack(">d", bits.to_bytes(8, "big"))
    assert jcs(number) == text.encode()


def test_a_leaf_is_the_canonical_form_of_the_events_identity_place_and_hash():
    assert leaf_bytes(
        tenant_id="acme",
        stream_id="s",
        version=2,
        event_id="e",
        transaction_id=7,
        position=41,
        chain_hash="ab",
    ) == (
        b'{"hash":"ab","id":"e","position":41,"stream":"s","tenant":"acme","transaction":7,'
        b'"version":2}'
    )


@given(
    st.text(),
    st.text(),
    st.integers(0, 2**53 - 1),
    st.text(),
    st.integers(0, 2**53 - 1),
    st.integers(0, 2**53 - 1),
    st.text(),
)
def test_the_fast_leaf_bytes_are_exactly_rfc_8785s(tenant, stream, version, eid, tx, pos, digest):
    fields = {
        "tenant": tenant,
        "stream": stream,
        "version": version,
        "id": eid,
        "transaction": tx,
        "position": pos,
        "hash": digest,
    }
    built = leaf_bytes(
        tenant_id=tenant,
        stream_id=stream,
        version=version,
        event_id=eid,
        transaction_id=tx,
        position=pos,
        chain_hash=digest,
    )
    assert built == jcs(fields)


def test_a_leaf_refuses_an_integer_rfc_8785_cannot_represent():
    with pytest.raises(ValueError, match="beyond the integers RFC 8785"):
        leaf_bytes(
            tenant_id="t",
            stream_id="s",
            version=1,
            event_id="e",
            transaction_id=2**60,
            position=1,
            chain_hash="h",
        )
