"""JSON-safe conversion shared by every result object's ``to_dict()`` (one implementation for all stages).

NaN/inf and pandas NA → ``None``; numpy scalars → Python; arrays/tuples → lists; timestamps → ISO text;
DataFrames → a list of row records (``frames="records"``, the default: tidy tables) or a mapping
row label → {column: value} (``frames="index"``: labelled matrices such as loadings); anything else with a
``to_dict()`` is converted through it; the rest becomes ``str``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd

__all__ = ["json_safe", "records"]


def json_safe(value: Any, *, frames: Literal["records", "index"] = "records") -> Any:
    """Convert ``value`` recursively into JSON-safe Python values (see the module docstring)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        f = float(value)
        return f if math.isfinite(f) else None
    if isinstance(value, pd.DataFrame):
        if frames == "index":
            rows = value.to_dict(orient="index")
            return {str(k): json_safe(v, frames=frames) for k, v in rows.items()}
        return records(value)
    if isinstance(value, pd.Series | Mapping):
        return {str(k): json_safe(v, frames=frames) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [json_safe(v, frames=frames) for v in value]
    if isinstance(value, np.ndarray):
        return [json_safe(v, frames=frames) for v in value.tolist()]
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "to_dict") and callable(value.to_dict):
        return json_safe(value.to_dict(), frames=frames)
    return str(value)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A DataFrame as a list of JSON-safe row dicts (index dropped: reset it first to keep it).

    Numeric and boolean columns are converted column-wise (NaN/inf → None); only object columns go
    through :func:`json_safe` cell by cell.
    """
    cols = [str(c) for c in frame.columns]
    n = len(frame)
    columns: list[list[Any]] = []
    for _, col in frame.items():
        if pd.api.types.is_bool_dtype(col.dtype) and not col.isna().any():
            columns.append([bool(v) for v in col.to_numpy()])
        elif pd.api.types.is_integer_dtype(col.dtype) and not col.isna().any():
            columns.append(col.to_numpy().tolist())
        elif pd.api.types.is_float_dtype(col.dtype):
            arr = col.to_numpy(dtype=float, na_value=np.nan)
            vals: list[Any] = arr.tolist()
            bad = np.flatnonzero(~np.isfinite(arr))
            for i in bad:
                vals[i] = None
            columns.append(vals)
        else:
            columns.append([json_safe(v) for v in col.to_numpy(dtype=object)])
    return [dict(zip(cols, row)) for row in zip(*columns)] if cols else [{} for _ in range(n)]
