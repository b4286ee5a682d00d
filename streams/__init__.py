"""How the domain lives in the event store: the codec between domain events and store
envelopes, and the names of the streams the aggregates write to.

Both the command side (:mod:`ledger`) and the read side (:mod:`projections`) speak it, so it
sits below both and sees only :mod:`domain` and :mod:`eventstore`.
"""

from streams.codec import DomainCodec, codec
from streams.names import ORGANIZATION_STREAM, scorecard_stream

__all__ = ["ORGANIZATION_STREAM", "DomainCodec", "codec", "scorecard_stream"]
