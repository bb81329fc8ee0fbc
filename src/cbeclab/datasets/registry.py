"""Named bundled datasets, as a spec's ``data: {dataset: NAME}`` refers to them."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from cbeclab.errors import SpecError
from cbeclab.i18n import _

__all__ = ["DATASETS", "load_dataset"]


def _guangzhou_demo() -> pd.DataFrame:
    from cbeclab.datasets import guangzhou_demo_with_synthetic

    return guangzhou_demo_with_synthetic(0)


def _guangzhou_trade() -> pd.DataFrame:
    from cbeclab.datasets.guangzhou import guangzhou_trade

    return guangzhou_trade()


#: name -> (loader, one-line description)
DATASETS: dict[str, tuple[Callable[[], pd.DataFrame], str]] = {
    "guangzhou_demo": (
        _guangzhou_demo,
        "seed 001 Table 2 Guangzhou cluster imports/exports 2010-2021 (real) + synthetic cluster indicators B1-B11",
    ),
    "guangzhou_trade": (
        _guangzhou_trade,
        "seed 001 Table 2 Guangzhou cluster imports/exports 2010-2021 (real)",
    ),
}


def load_dataset(name: str) -> pd.DataFrame:
    """Load a bundled dataset by name (see :data:`DATASETS`)."""
    if name not in DATASETS:
        raise SpecError(
            _("unknown dataset {name!r}", name=name),
            where="data.dataset",
            fix=_("use one of: {v1}, or give data.path", v1=", ".join(DATASETS)),
        )
    return DATASETS[name][0]()
