"""cbeclab.evaluate: normalise, weigh and score a panel matrix.

* :func:`normalize` (min–max / z-score / vector by direction, pooled or per-entity scope)
* :func:`compute_weights` (entropy, CRITIC, CV, AHP, equal, user, combined) -> :class:`WeightResult`
"""

from cbeclab.evaluate.normalize import normalize
from cbeclab.evaluate.weights import WeightResult, compute_weights

__all__ = ["WeightResult", "compute_weights", "normalize"]
