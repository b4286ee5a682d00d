"""The append's fast canonical bytes are exactly the documented canonical form."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from eventstore import NO_STREAM, Metadata, NewEvent
from eventstore.append import AppendRequest
from eventstore.hashing import GENESIS, canonical_bytes, chain

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53 - 1), 2**53 - 1)  # the integers RFC 8785 writes exactly
    | st.text(max_size=8)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


@given(
    st.lists(st.dictionaries(st.text(max_size=6), json_values, max_size=4), min_size=1, max_size=4),
    st.text(min_size=1, max_size=10),
    st.text(min_size=1, max_size=10),
    st.sampled_from(["kpi.defined", 'odd "type" ü', "x"]),
    st.one_of(st.none(), st.text(max_size=10)),
)
def test_planned_hashes_chain_the_canonical_bytes_of_each_event(
    datas: list[dict[str, Any]], tenant: str, stream: str, kind: str, reason: str | None
) -> None:
    metadata = Metadata(actor="ä", recorded_at=datetime(2026, 1, 2, tzinfo=UTC), reason=reason)
    events = [NewEvent(kind, data, schema_version=2, event_id=uuid.uuid4()) for data in datas]
    rows = AppendRequest(tenant, stream, NO_STREAM, events, metadata).plan(None, None)
    previous = GENESIS
    for version, (event, row) in enumerate(zip(events, rows, strict=True), start=1):
        expected = chain(
            previous,
            canonical_bytes(
                tenant_id=tenant,
                stream_id=stream,
                version=version,
                event_id=str(event.event_id),
                event_type=kind,
                schema_version=2,
                data=event.data,
                metadata=metadata.to_dict(),
            ),
        )
        assert row[-1] == expected
        previous = expected
