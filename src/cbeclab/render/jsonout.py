"""JSON output: NaN/inf → null, numpy scalars → Python, DataFrames → list of records; atomic write."""

from __future__ import annotations

import json
import os
from typing import Any

from cbeclab.io.atomic import atomic_write_text
from cbeclab.jsonsafe import json_safe, records

__all__ = ["to_jsonable", "records", "write_json"]


to_jsonable = json_safe


def write_json(path: str | os.PathLike[str], obj: Any, *, indent: int | None = 2) -> None:
    """Write ``obj`` as UTF-8 JSON (Chinese kept readable), atomically; ``indent=None`` writes it compact."""
    sep = (",", ": ") if indent is not None else (",", ":")
    text = json.dumps(to_jsonable(obj), ensure_ascii=False, indent=indent, separators=sep, allow_nan=False)
    atomic_write_text(path, text + "\n")
