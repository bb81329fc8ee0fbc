"""cbeclab.datasets: bundled real data (seed 001 Tables 1–2) and synthetic generators.

Real: :func:`guangzhou_trade` (five clusters' imports/exports 2010–2021) and :func:`guangzhou_totals`
(Guangzhou totals 2010–2022), unit 10,000 USD, provenance in ``df.attrs``.

Synthetic (always named so, ``attrs["source"] == "synthetic"``): :func:`synthetic_panel`,
:func:`synthetic_cluster_indicators`, :func:`synthetic_large_panel`,
:func:`guangzhou_demo_with_synthetic`, :func:`synthetic_yongkang_survey` (a survey drawn from seed 000's
published measurement model).

Classic SEM data: :func:`holzinger_swineford`, :func:`political_democracy` (in :mod:`cbeclab.datasets.classic`).
"""

from cbeclab.datasets.guangzhou import CLUSTERS, guangzhou_totals, guangzhou_trade
from cbeclab.datasets.survey import synthetic_yongkang_survey, yongkang_model, yongkang_model_syntax
from cbeclab.datasets.synthetic import (
    guangzhou_demo_with_synthetic,
    synthetic_cluster_indicators,
    synthetic_large_panel,
    synthetic_panel,
)

__all__ = [
    "CLUSTERS",
    "guangzhou_demo_with_synthetic",
    "guangzhou_totals",
    "guangzhou_trade",
    "synthetic_cluster_indicators",
    "synthetic_large_panel",
    "synthetic_panel",
    "synthetic_yongkang_survey",
    "yongkang_model",
    "yongkang_model_syntax",
]
