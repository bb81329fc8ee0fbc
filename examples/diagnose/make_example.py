"""Regenerate the inputs of examples/diagnose (run: python examples/diagnose/make_example.py).

* panel.csv: a SYNTHETIC panel with every seed002 indicator for three clusters, 2015-2022
  (cbeclab.diagnose.example_panel, seed 0); it describes no real cluster.
* sem_seed000_tables.json: seed 000's published path table (Table 4) and mediation table (Table 5),
  transcribed; not a model fit. Table 4 marks p < 0.001 as ***; those p-values are entered as 0.0005
  (any value below 0.001 gives the same verdicts).
"""

from __future__ import annotations

import json
from pathlib import Path

from cbeclab.diagnose import example_panel

HERE = Path(__file__).parent

TABLE4 = [  # lhs, rhs, estimate (standardised), S.E., C.R., p
    ("Y", "F1", 0.094, 0.044, 1.898, 0.058),
    ("Y", "F2", 0.392, 0.069, 5.206, 0.0005),
    ("Y", "F3", 0.303, 0.072, 3.89, 0.0005),
    ("Y", "M", 0.318, 0.06, 4.581, 0.0005),
    ("M", "F1", 0.157, 0.068, 2.359, 0.018),
    ("M", "F2", 0.374, 0.099, 3.984, 0.0005),
    ("M", "F3", 0.343, 0.106, 3.455, 0.0005),
]
TABLE5 = [  # x, indirect, direct, total, indirect CI, direct CI (bias-corrected bootstrap, 95 %)
    ("F1", None, None, None, (0.01, 0.126), (-0.005, 0.192)),
    ("F2", 0.109, 0.360, 0.469, (0.039, 0.221), (0.191, 0.621)),
    ("F3", 0.101, 0.280, 0.381, (0.031, 0.221), (0.118, 0.544)),
]


def main() -> None:
    example_panel().reset_index().to_csv(HERE / "panel.csv", index=False)
    sem = {
        "note": "seed 000 (Zhu & Lu) Tables 4 and 5 transcribed by hand; not a model fit; *** entered as p = 0.0005",
        "params": [
            {
                "lhs": y,
                "op": "~",
                "rhs": x,
                "label": "",
                "est": e,
                "se": se,
                "z": z,
                "pvalue": p,
                "std_all": e,
            }
            for y, x, e, se, z, p in TABLE4
        ],
        "mediation": {
            "verdicts": [
                {
                    "x": x,
                    "y": "Y",
                    "mediators": "M",
                    "indirect": i,
                    "direct": d,
                    "total": t,
                    "indirect_ci_lower": ic[0],
                    "indirect_ci_upper": ic[1],
                    "direct_ci_lower": dc[0],
                    "direct_ci_upper": dc[1],
                }
                for x, i, d, t, ic, dc in TABLE5
            ]
        },
    }
    (HERE / "sem_seed000_tables.json").write_text(json.dumps(sem, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
