"""Equal weights: ``w_j = 1 / K`` for every indicator and every scope group."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from cbeclab.evaluate._scope import prepare
from cbeclab.evaluate.weights.result import WeightResult, group_frame, repeat_row


def equal_weights(
    X: pd.DataFrame, directions: Mapping[str, Any] | None = None, *, scope: str = "pooled"
) -> WeightResult:
    """Equal weights ``w_j = 1 / K`` (K indicators), the same row for every scope group.

    Checked against: hand calculation (tests/test_weights_simple.py).

    Examples
    --------
    >>> import pandas as pd
    >>> equal_weights(pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 1.0]})).table.to_dict("records")
    [{'a': 0.5, 'b': 0.5}]
    """
    sc, _ = prepare(X, directions, scope)
    k = len(sc.indicators)
    return WeightResult(
        method="equal", scope=scope, table=group_frame(sc, repeat_row(sc, np.full(k, 1.0 / k)))
    )
