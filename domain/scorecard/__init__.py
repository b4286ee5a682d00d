"""The Scorecard aggregate: one stream per scorecard.

Commands live in :mod:`domain.scorecard.commands`, events in :mod:`domain.scorecard.events`.
"""

from domain.scorecard.decider import scorecard_decider
from domain.scorecard.state import ScorecardState

__all__ = ["ScorecardState", "scorecard_decider"]
