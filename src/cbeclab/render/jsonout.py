"""JSON output: NaN/inf → null, numpy scalars → Python, DataFrames → list of records; atomic write."""

from __future__ import annotations

import json
import math
import os
from typing import Any

import numpy as np
import pandas as pd

from cbeclab.io.atomic import atomic_write_text

__all__ = ["to_jsonable", "records", "write_json"]


def to_jsonable(obj: Any) -> Any:
    """Convert ``obj`` recursively into JSON-safe Python values."""
    if obj is None or isinstance(obj, bool | str):
        return obj
    if isinstance(obj, int | np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        f = float(obj)
        return f if math.isfinite(f) else None
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, pd.DataFrame):
        return records(obj)
    if isinstance(obj, pd.Series):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, np.ndarray):
        return [to_jsonable(v) for v in obj.tolist()]
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set):
        return [to_jsonable(v) for v in obj]
    if hasattr(obj, "to_dict") and callable(obj.to_dict):
        return to_jsonable(obj.to_dict())
    if pd.isna(obj):
        return None
    return str(obj)


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """A DataFrame as a list of JSON-safe row dicts (index dropped; reset it first to keep it)."""
    cols = [str(c) for c in df.columns]
    return [{c: to_jsonable(v) for c, v in zip(cols, row)} for row in df.itertuples(index=False, name=None)]


def write_json(path: str | os.PathLike[str], obj: Any) -> None:
    """Write ``obj`` as pretty UTF-8 JSON (Chinese kept readable), atomically."""
    atomic_write_text(
        path, json.dumps(to_jsonable(obj), ensure_ascii=False, indent=2, allow_nan=False) + "\n"
    )
