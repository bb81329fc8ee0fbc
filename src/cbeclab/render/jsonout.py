"""JSON output: NaN/inf → null, numpy scalars → Python, DataFrames → list of records; atomic write."""

from __future__ import annotations

import json
import os
from typing import Any

from cbeclab.io.atomic import atomic_write_text
from cbeclab.jsonsafe import json_safe, records

__all__ = ["to_jsonable", "records", "write_json"]


to_jsonable = json_safe


def write_json(path: str | os.PathLike[str], obj: Any) -> None:
    """Write ``obj`` as pretty UTF-8 JSON (Chinese kept readable), atomically."""
    atomic_write_text(
        path, json.dumps(to_jsonable(obj), ensure_ascii=False, indent=2, allow_nan=False) + "\n"
    )
