"""cbeclab.evaluate: normalise, weigh and score a panel matrix.

* :func:`normalize` (min–max / z-score / vector by direction, pooled or per-entity scope)
* :func:`compute_weights` (entropy, CRITIC, CV, AHP, equal, user, combined) -> :class:`WeightResult`
* :func:`composite_index`, :func:`subsystem_scores` (weighted sums of normalised indicators)
* :func:`topsis` (entropy-TOPSIS) -> :class:`TopsisResult`
* :func:`grey_relational` (grey relational analysis) -> :class:`GreyResult`
"""

from cbeclab.evaluate.composite import composite_index, subsystem_scores
from cbeclab.evaluate.grey import GreyResult, grey_relational
from cbeclab.evaluate.normalize import normalize
from cbeclab.evaluate.topsis import TopsisResult, topsis
from cbeclab.evaluate.weights import WeightResult, compute_weights

__all__ = [
    "GreyResult",
    "TopsisResult",
    "WeightResult",
    "composite_index",
    "compute_weights",
    "grey_relational",
    "normalize",
    "subsystem_scores",
    "topsis",
]
