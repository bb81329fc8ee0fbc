"""cbeclab.models: composite-system synergy, coupling coordination degree, GM(1,1) forecasts.

Every function takes plain pandas data and returns a frozen result object with ``.to_frame()`` and
``.to_dict()`` (see ``docs/architecture.md``, model contracts).
"""

from cbeclab.models.coupling import CouplingResult, coupling_coordination, coupling_from_scores
from cbeclab.models.gm11 import GM11ManyResult, GM11Result, gm11, gm11_many
from cbeclab.models.synergy import SynergyResult, synergy

__all__ = [
    "CouplingResult",
    "GM11ManyResult",
    "GM11Result",
    "SynergyResult",
    "coupling_coordination",
    "coupling_from_scores",
    "gm11",
    "gm11_many",
    "synergy",
]
