"""An unreachable Dask scheduler is a located SpecError from bootstrap() itself, for every caller."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cbeclab.errors import SpecError
from cbeclab.sem.bootstrap import bootstrap


@pytest.mark.slow
def test_unreachable_scheduler_is_spec_error() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=200)
    m = 0.5 * x + rng.normal(size=200)
    y = 0.4 * m + rng.normal(size=200)
    df = pd.DataFrame({"x": x, "m": m, "y": y})
    with pytest.raises(SpecError) as exc:
        bootstrap("m ~ a*x\ny ~ b*m\nab := a*b", df, 10, seed=1, scheduler="tcp://127.0.0.1:9")
    assert "cannot reach the Dask scheduler" in str(exc.value) and "scheduler" in str(exc.value)
