"""Survey measurement quality: descriptives, reliability (alpha, omega, CR/AVE), validity
(Fornell-Larcker, HTMT), sampling adequacy (KMO, Bartlett), EFA and parallel analysis.

One method a module; every function is checked against R psych 2.2.9 (or semTools / hand calculation)
as its docstring says. Seed 000 (Zhu & Lu, Yongkang hardware cluster) §4.2 uses all of them.
"""

from cbeclab.measure.alpha import AlphaResult, cronbach_alpha
from cbeclab.measure.bartlett import BartlettResult, bartlett_sphericity
from cbeclab.measure.cmb import (
    HarmanResult,
    SingleFactorComparison,
    harman_single_factor,
    msv_asv,
    single_factor_comparison,
)
from cbeclab.measure.descriptives import DescriptivesResult, describe_items
from cbeclab.measure.efa import EFAResult, efa
from cbeclab.measure.kmo import KMOResult, kmo
from cbeclab.measure.omega import OmegaResult, omega_total
from cbeclab.measure.parallel import ParallelResult, parallel_analysis
from cbeclab.measure.profile import sample_profile
from cbeclab.measure.reliability import ReliabilityResult, composite_reliability, thresholds
from cbeclab.measure.rotation import promax, varimax
from cbeclab.measure.validity import FornellLarckerResult, HTMTResult, fornell_larcker, htmt

__all__ = [
    "AlphaResult",
    "BartlettResult",
    "DescriptivesResult",
    "EFAResult",
    "FornellLarckerResult",
    "HarmanResult",
    "SingleFactorComparison",
    "HTMTResult",
    "KMOResult",
    "OmegaResult",
    "ParallelResult",
    "ReliabilityResult",
    "bartlett_sphericity",
    "composite_reliability",
    "cronbach_alpha",
    "describe_items",
    "efa",
    "fornell_larcker",
    "harman_single_factor",
    "htmt",
    "kmo",
    "msv_asv",
    "omega_total",
    "parallel_analysis",
    "promax",
    "sample_profile",
    "single_factor_comparison",
    "thresholds",
    "varimax",
]
