"""cbeclab.diagnose: from model results to reasons and measures.

* :func:`synergy_stage`, :func:`latest_stage` (seed 001 stages) and :func:`obstacle_degree`
* :func:`rank_modes` over a :class:`CityProfile` (seed 003 pilot-zone development modes)
* :func:`classify_empowerment`, :func:`diagnose_cluster` (seed 004 single-point breakthrough vs
  system reconstruction, weakest dimension and its levers)
* :func:`four_subsystem_coordination` (seed 002 four subsystems, six pairs, lagging subsystem)
* :func:`summarize_factors` (seed 000 significant paths, direct vs mediated shares)
* :func:`recommend` (explained measures), :func:`build_diagnosis`
* :func:`run_diagnosis`, :func:`write_diagnosis` (a whole diagnosis from a YAML spec; JSON + HTML)

Rules, thresholds and texts are YAML under ``diagnose/rules``; example profiles under
``diagnose/profiles``.
"""

from cbeclab.diagnose.empowerment import (
    ClusterProfile,
    EmpowermentResult,
    classify_empowerment,
    diagnose_cluster,
    empowerment_scores,
    list_cluster_profiles,
    load_cluster_profile,
    load_empowerment_rules,
)
from cbeclab.diagnose.factors import FactorSummary, summarize_factors
from cbeclab.diagnose.modes import (
    CITY_FIELDS,
    CityProfile,
    ModeRanking,
    list_city_profiles,
    load_city_profile,
    load_mode_rules,
    rank_modes,
)
from cbeclab.diagnose.obstacles import ObstacleResult, obstacle_degree
from cbeclab.diagnose.recommend import (
    Diagnosis,
    Recommendation,
    build_diagnosis,
    load_recommendations,
    recommend,
    recommendations_frame,
)
from cbeclab.diagnose.report import DiagnosisReport, load_diagnose_spec, run_diagnosis, write_diagnosis
from cbeclab.diagnose.stages import latest_stage, load_stage_rules, synergy_stage
from cbeclab.diagnose.subsystems4 import FourSubsystemResult, example_panel, four_subsystem_coordination

__all__ = [
    "CITY_FIELDS",
    "CityProfile",
    "ClusterProfile",
    "Diagnosis",
    "DiagnosisReport",
    "EmpowermentResult",
    "FactorSummary",
    "FourSubsystemResult",
    "ModeRanking",
    "ObstacleResult",
    "Recommendation",
    "build_diagnosis",
    "classify_empowerment",
    "diagnose_cluster",
    "empowerment_scores",
    "example_panel",
    "four_subsystem_coordination",
    "latest_stage",
    "list_city_profiles",
    "list_cluster_profiles",
    "load_city_profile",
    "load_cluster_profile",
    "load_diagnose_spec",
    "load_empowerment_rules",
    "load_mode_rules",
    "load_recommendations",
    "load_stage_rules",
    "obstacle_degree",
    "rank_modes",
    "recommend",
    "recommendations_frame",
    "run_diagnosis",
    "summarize_factors",
    "synergy_stage",
    "write_diagnosis",
]
