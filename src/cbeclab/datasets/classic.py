"""Classic SEM teaching data sets, bundled for agreement tests with lavaan.

* ``holzinger_swineford()``: Holzinger, K. J. & Swineford, F. (1939). *A study in factor analysis:
  the stability of a bi-factor solution*. Supplementary Educational Monographs 48, University of
  Chicago.  301 pupils (Pasteur and Grant-White schools), mental ability tests ``x1``-``x9``
  plus ``id, sex, ageyr, agemo, school, grade``.  Provenance: lavaan 0.6-14's
  ``HolzingerSwineford1939``, exported unchanged with ``write.csv`` by
  ``tests/fixtures/r/sem_export_data.R``.
* ``political_democracy()``: Bollen, K. A. (1989). *Structural Equations with Latent Variables*,
  Wiley, pp. 332-335.  75 developing countries, democracy indicators ``y1``-``y8`` (1960 and 1965)
  and industrialisation indicators ``x1``-``x3`` (1960).  Provenance: lavaan 0.6-14's
  ``PoliticalDemocracy``, exported unchanged with ``write.csv`` by the same script.
"""

from __future__ import annotations

from importlib import resources

import pandas as pd

__all__ = ["holzinger_swineford", "political_democracy"]


def _read(name: str) -> pd.DataFrame:
    with resources.files("cbeclab.datasets").joinpath("data", name).open("rb") as fh:
        return pd.read_csv(fh)


def holzinger_swineford() -> pd.DataFrame:
    """Holzinger & Swineford (1939), 301 rows x 15 columns (lavaan's ``HolzingerSwineford1939``).

    Examples
    --------
    >>> holzinger_swineford().shape
    (301, 15)
    """
    return _read("holzinger_swineford.csv")


def political_democracy() -> pd.DataFrame:
    """Bollen's (1989) Political Democracy data, 75 rows x 11 columns (lavaan's ``PoliticalDemocracy``).

    Examples
    --------
    >>> political_democracy().shape
    (75, 11)
    """
    return _read("political_democracy.csv")
