"""Golden interpretation sentences: hand-chosen inputs -> the exact sentence (zh and en).

The expected strings were written by hand from render/interpretation.yaml; they fail if the engine
picks the wrong case, formats a number differently or drops a field.
"""

from cbeclab.render import interpret


def test_reliability_all_pass_and_some_fail() -> None:
    alphas = {"F1": 0.8171, "F2": 0.874, "F3": 0.847}
    assert (
        interpret.reliability(alphas, 0.7, lang="zh")
        == "各潜变量的 Cronbach's α 在 0.817–0.874 之间，均大于 0.700，量表具有良好的内部一致性。"
    )
    assert interpret.reliability({"A": 0.65, "B": 0.9, "C": 0.69}, 0.7, lang="en") == (
        "Cronbach's α of the 3 constructs ranges from 0.650 to 0.900; below 0.700: A and C, "
        "whose reliability is questionable."
    )
    assert interpret.reliability({"A": 0.65, "B": 0.9, "C": 0.69}, 0.7, lang="zh") == (
        "各潜变量的 Cronbach's α 在 0.650–0.900 之间，其中 A和C 低于 0.700，其信度有待商榷。"
    )


def test_adequacy() -> None:
    assert interpret.adequacy(0.887, 2570.3191, 276, 0.0, 0.7, 0.05, lang="zh") == (
        "KMO 值为 0.887（大于 0.700），Bartlett 球形检验显著（χ² = 2570.319，df = 276，p < 0.001），数据适合做因子分析。"
    )
    assert interpret.adequacy(0.55, 10.0, 3, 0.2, 0.6, 0.05, lang="en").startswith(
        "The KMO measure is 0.550 and Bartlett's test gives χ² = 10.000, df = 3, p = 0.200: the items are not"
    )


def test_validity_cases() -> None:
    ave = {"F1": 0.52, "F2": 0.6}
    cr = {"F1": 0.8, "F2": 0.85}
    assert interpret.validity(ave, cr, {"F1": True, "F2": True}, lang="en") == (
        "AVE ranges from 0.520 to 0.600 (all above 0.500) and CR from 0.800 to 0.850 (all above 0.700), so "
        "convergent validity holds; the square root of each AVE exceeds that construct's correlations with the "
        "others (Fornell–Larcker), so discriminant validity holds too."
    )
    assert interpret.validity(ave, cr, {"F1": True, "F2": False}, lang="zh") == (
        "各潜变量的 AVE 在 0.520–0.600 之间，CR 在 0.800–0.850 之间，收敛效度良好；但 F2 的 AVE 平方根未全部大于其与"
        "其他潜变量的相关系数，区分效度存疑。"
    )
    weak = interpret.validity({"F1": 0.479, "F2": 0.6}, cr, {"F1": True, "F2": True}, lang="zh")
    assert weak == (
        "各潜变量的 AVE 在 0.479–0.600 之间，CR 在 0.800–0.850 之间；F1 未达到标准（AVE > 0.500，CR > 0.700），"
        "其收敛效度不足。"
    )


def test_fit() -> None:
    rows = [("χ²/df", 1.049, True), ("RMSEA", 0.014, True), ("GFI", 0.88, False)]
    assert interpret.fit(rows, lang="en") == (
        "The fit indices are χ²/df = 1.049, RMSEA = 0.014, GFI = 0.880; the thresholds are missed by GFI, so "
        "the fit is acceptable only in part."
    )
    assert (
        interpret.fit(rows[:2], lang="zh")
        == "各项拟合指标均达到标准（χ²/df = 1.049，RMSEA = 0.014），模型与数据拟合良好。"
    )


def test_paths_and_mediation() -> None:
    rows = [("H1", "F1 → Y", -0.34, 0.0001, False), ("H2", "F2 → Y", 0.388, 0.003, True)]
    assert interpret.paths(rows, lang="en") == (
        "Of the 2 hypothesised paths (F1 → Y: β = -0.340, p < 0.001; F2 → Y: β = 0.388, p = 0.003), the "
        "hypotheses supported are H2; not supported: H1."
    )
    assert (
        interpret.paths(rows[1:], lang="zh")
        == "全部 1 条假设路径均为正向且显著（F2 → Y: β = 0.388, p = 0.003），假设 H2 均得到支持。"
    )
    assert interpret.mediation("H4", "F1 → M → Y", "partial", 0.12, 0.05, 0.2, 0.95, lang="zh") == (
        "H4 (F1 → M → Y)：间接效应为 0.120，其 95% Bootstrap 置信区间 [0.050, 0.200] 不包含 0，且直接效应依然显著，存在部分中介效应。"
    )
    assert interpret.mediation("", "", "none", -0.014, -0.066, 0.015, 0.95, lang="en") == (
        ": the indirect effect is -0.014 and its 95% bootstrap confidence interval [-0.066, 0.015] includes 0: "
        "no mediation."
    )


def test_synergy_one_and_many() -> None:
    one = {"珠宝": [(2010, 0.1, "低度"), (2021, 0.4, "发展")]}
    assert interpret.synergy(one, lang="zh") == (
        "珠宝的协同度由 2010 年的 0.100 变为 2021 年的 0.400，总体呈上升趋势；2021 年复合系统处于“发展”阶段。"
    )
    assert interpret.synergy({"A": [(2010, 0.3, "growth"), (2011, 0.2, "growth")]}, lang="en") == (
        "The synergy degree of A moves from 0.300 (2010) to 0.200 (2011), a downward trend; in 2011 the "
        'composite system is at the "growth" stage.'
    )
    many = {"A": [(2021, 0.35, "发展")], "B": [(2021, 0.81, "成熟")], "C": [(2021, 0.41, "发展")]}
    assert interpret.synergy(many, lang="zh") == (
        "最新一期 3 个对象的协同度在 0.350（A）至 0.810（B）之间；其中 2 个处于“发展”阶段，为最常见的阶段。"
    )


def test_coupling_one_and_many() -> None:
    row = {
        "entity": "A",
        "period": 2022,
        "C": 0.897,
        "T": 0.422,
        "D": 0.6152,
        "grade": "初级协调",
        "lagging": "产业集群子系统",
    }
    assert interpret.coupling([row], lang="zh") == (
        "2022 年A的耦合协调度 D 为 0.615（耦合度 C = 0.897，综合协调指数 T = 0.422），属于“初级协调”；滞后子系统为产业集群子系统。"
    )
    rows = [
        dict(row),
        {**row, "entity": "B", "D": 0.756, "grade": "mid", "lagging": "env"},
        {**row, "entity": "C", "D": 0.754, "grade": "mid", "lagging": "env"},
    ]
    assert interpret.coupling(rows, lang="en") == (
        'In the latest period D ranges from 0.615 (A) to 0.756 (B); the most common grade is "mid" (2 of 3 '
        "entities) and env lags behind most often (2 entities)."
    )


def test_obstacles_gm11_modes_empowerment() -> None:
    assert interpret.obstacles("A", 2021, [("K6", 0.093), ("K2", 0.063)], ("cluster", 0.337), lang="en") == (
        "In 2021 the main obstacles for A are K6 (0.093), K2 (0.063) (obstacle degree); by subsystem, cluster "
        "weighs most (0.337)."
    )
    params = [
        {"status": "ok", "a": -0.0268, "C": 0.52},
        {"status": "ok", "a": -0.0231, "C": 0.39},
        {"status": "refused", "a": float("nan"), "C": float("nan")},
    ]
    assert interpret.gm11(params, lang="zh") == [
        "GM(1,1) 模型拟合了 3 条序列中的 2 条；发展系数 a 在 -0.027–-0.023 之间，后验差比 C 在 0.390–0.520 之间。",
        "3 条序列中有 1 条未做预测：未通过适用性检验的序列不建模（每条的原因见表中）。",
    ]
    assert interpret.gm11(params[2:], lang="en") == [
        "1 of 1 series were not forecast: the model refuses a series that fails its admissibility checks "
        "(reason given for each row of the table)."
    ]
    assert interpret.modes(
        "广州", [("甲", 10.0, 10.0), ("乙", 8.0, 10.0)], 6, ["需要中欧班列"], lang="zh"
    ) == [
        "广州最适合的发展模式为“甲”（得分 10/10），其次为“乙”（8）；该模式有 6 条规则成立。",
        "“甲”尚未满足的前提条件：需要中欧班列。",
    ]
    assert interpret.empowerment(
        "C", "single-point breakthrough", 0.8034, "good", "tech", "eco", lang="en"
    ) == (
        'The empowerment pattern of C is "single-point breakthrough" (coupling coordination D = 0.803, grade '
        '"good"); the weakest dimension is tech and the leading one eco.'
    )
