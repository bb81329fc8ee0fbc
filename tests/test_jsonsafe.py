import json

import numpy as np
import pandas as pd

from cbeclab.jsonsafe import json_safe, records


def test_records_types_and_missing_values() -> None:
    df = pd.DataFrame(
        {
            "f": [1.5, np.nan, np.inf],
            "i": [1, 2, 3],
            "ni": pd.array([1, None, 3], dtype="Int64"),
            "b": [True, False, True],
            "s": ["中文", None, "x"],
            "t": pd.to_datetime(["2020-01-01", None, "2021-06-30"]),
            7: [np.float32(0.25), np.int64(4), "z"],
        }
    )
    rows = records(df)
    assert rows[0] == {
        "f": 1.5,
        "i": 1,
        "ni": 1,
        "b": True,
        "s": "中文",
        "t": "2020-01-01T00:00:00",
        "7": 0.25,
    }
    assert rows[1]["f"] is None and rows[1]["ni"] is None and rows[1]["s"] is None and rows[1]["t"] is None
    assert rows[2]["f"] is None and rows[2]["7"] == "z" and rows[1]["7"] == 4
    json.dumps(rows, allow_nan=False)  # strictly valid JSON
    assert all(type(r["i"]) is int and type(r["b"]) is bool for r in rows)


def test_json_safe_frames_modes() -> None:
    df = pd.DataFrame({"a": [1.0, np.nan]}, index=["r1", "r2"])
    assert json_safe(df) == [{"a": 1.0}, {"a": None}]
    assert json_safe(df, frames="index") == {"r1": {"a": 1.0}, "r2": {"a": None}}
    assert records(pd.DataFrame()) == []
