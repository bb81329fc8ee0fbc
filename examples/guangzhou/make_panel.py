"""Regenerate panel.csv: seed 001 Table 2 trade (real) + synthetic cluster indicators, Chinese headers, GBK.

    python examples/guangzhou/make_panel.py

The file is saved in GB18030 (a superset of GBK), as Chinese Excel saves a CSV, to show that cbeclab
reads it as is. tests/test_examples.py checks that the committed file equals what this script writes.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cbeclab.datasets import CLUSTERS, guangzhou_demo_with_synthetic

HERE = Path(__file__).resolve().parent


def build() -> pd.DataFrame:
    df = guangzhou_demo_with_synthetic(0)
    df = df.drop(columns=[c for c in ("total", "balance", "source") if c in df.columns])
    df["cluster"] = df["cluster"].map({k: v[1] for k, v in CLUSTERS.items()})
    return df.rename(
        columns={"cluster": "产业集群", "year": "年份", "exports": "出口额", "imports": "进口额"}
    )


def main() -> None:
    build().to_csv(HERE / "panel.csv", index=False, encoding="gb18030", float_format="%.6g")


if __name__ == "__main__":
    main()
