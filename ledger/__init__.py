"""The command side: commands routed to their stream and decider, executed through the
store's executor with the inline read models updated in the same transaction; aggregate
snapshots; the demo generator, which writes through the same path.

Layers: ``api`` → ``ledger`` → ``projections`` → ``streams`` → (``eventstore`` | ``domain``).
"""

from ledger.application import Ledger, fingerprint, stream_of

__all__ = ["Ledger", "fingerprint", "stream_of"]
