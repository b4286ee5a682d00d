"""Frames: several byte strings in one, each readable without parsing the others.

A snapshot head keeps each part of the state's partitioned maps as a frame of its own, so a
restored state parses the frames a command reaches and no others.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

_COUNT = struct.Struct("<I")


def frame(blobs: Sequence[bytes | memoryview]) -> bytes:
    """``blobs`` as one byte string: their count, their lengths, then each in turn."""
    header = struct.pack(f"<I{len(blobs)}I", len(blobs), *(len(b) for b in blobs))
    return header + b"".join(blobs)


def unframe(data: bytes) -> list[memoryview]:
    """The blobs :func:`frame` joined, as views of ``data`` (nothing copied)."""
    (count,) = _COUNT.unpack_from(data)
    lengths = struct.unpack_from(f"<{count}I", data, _COUNT.size)
    view = memoryview(data)
    offset = _COUNT.size * (count + 1)
    blobs = []
    for length in lengths:
        blobs.append(view[offset : offset + length])
        offset += length
    if offset != len(data):
        raise ValueError("framed data has trailing bytes")
    return blobs


def frame_at(data: bytes, index: int) -> memoryview:
    """Blob ``index`` of what :func:`frame` joined, without slicing the others."""
    (count,) = _COUNT.unpack_from(data)
    lengths = struct.unpack_from(f"<{count}I", data, _COUNT.size)
    offset = _COUNT.size * (count + 1) + sum(lengths[:index])
    return memoryview(data)[offset : offset + lengths[index]]
