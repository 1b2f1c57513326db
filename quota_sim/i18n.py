"""Chinese and English labels of the app and the exported tables: UI strings, table headers, reasons and
input messages. The words for the result's codes (statuses, units, methods, quotas, land classes,
sources) are in :mod:`quota_sim.vocabulary`, shared with the meeting pack.

Chinese (``"zh"``) is the default language; English (``"en"``) is the alternative.
Every label of a quantity carries its unit: land in 亩 (mu), money in 万元
(10,000 yuan), energy in 吨标准煤 (tce), emissions in 吨 (t) or the quota's own unit.

Public helpers:

- :func:`t` — a UI string by key;
- :func:`column_label` — a table header (allocation, quota use, marginal values,
  projects), ``<quota>_charged`` included; unknown columns come back unchanged;
- :func:`reason_label` — the reason a project was not selected;
- :func:`error_message` — the detail of a bad-input message, in Chinese where its wording is known.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from pathlib import PurePath
from typing import Any

from quota_sim.meeting.labels import blocking_sentence
from quota_sim.vocabulary import QUOTA_NAMES, QUOTA_UNITS, pick, quota_label, unit_label

DEFAULT_LANGUAGE = "zh"

# Fixed table columns: (Chinese, English) labels, units included.
COLUMNS: dict[str, tuple[str, str]] = {
    # allocation.csv (SPEC §4)
    "id": ("项目编号", "Project ID"),
    "name": ("项目名称", "Project name"),
    "status": ("状态", "Status"),
    "zone": ("园区", "Park"),
    "site": ("地块", "Site"),
    "start_year": ("开工年份", "Start year"),
    "value": ("目标贡献(万元)", "Objective value (10k yuan)"),
    "reason": ("未入选原因", "Reason not selected"),
    # quota_use.csv (SPEC §4); available/used are in each row's quota unit
    "quota": ("指标", "Quota"),
    "source": ("来源", "Source"),
    "year": ("年份", "Year"),
    "available": ("可用量(指标单位)", "Available (quota unit)"),
    "used": ("使用量(指标单位)", "Used (quota unit)"),
    "cost": ("费用(万元)", "Cost (10k yuan)"),
    "supply": ("供给(指标单位)", "Supply (quota unit)"),
    "bought": ("购买(指标单位)", "Bought (quota unit)"),
    "carried_over": ("结转(指标单位)", "Carried over (quota unit)"),
    "unit": ("单位", "Unit"),
    # marginal_values.csv (SPEC §4)
    "delta": ("增量(指标单位)", "Added supply (quota unit)"),
    "objective_gain": ("目标增益(万元)", "Objective gain (10k yuan)"),
    "value_per_unit": ("单位边际价值(万元/指标单位)", "Value per unit (10k yuan per quota unit)"),
    "method": ("方法", "Method"),
    "gain_bound": ("增益上界(万元)", "Gain upper bound (10k yuan)"),
    # projects table (SPEC §1.2)
    "industry": ("行业", "Industry"),
    "industry_code": ("行业代码", "Industry code"),
    "land_mu": ("用地(亩)", "Land (mu)"),
    "investment": ("投资(万元)", "Investment (10k yuan)"),
    "output": ("年产值(万元/年)", "Output (10k yuan/yr)"),
    "tax": ("年税收(万元/年)", "Tax (10k yuan/yr)"),
    "jobs": ("就业(人)", "Jobs"),
    "strategic": ("战略性新兴产业", "Strategic industry"),
    "earliest_year": ("最早开工年份", "Earliest start year"),
    "ramp_years": ("达产年数(年)", "Ramp-up (years)"),
    "lock": ("锁定", "Lock"),
    "queued_since": ("排队起始日期", "Queued since"),
    "energy_tce": ("用能(吨标准煤/年)", "Energy use (tce/yr)"),
    "nox_t": ("氮氧化物(吨/年)", "NOx (t/yr)"),
    "vocs_t": ("挥发性有机物(吨/年)", "VOCs (t/yr)"),
    "so2_t": ("二氧化硫(吨/年)", "SO2 (t/yr)"),
    "cod_t": ("化学需氧量(吨/年)", "COD (t/yr)"),
    "nh3n_t": ("氨氮(吨/年)", "NH3-N (t/yr)"),
    "lead_kg": ("铅(千克/年)", "Lead (kg/yr)"),
    "lead_t": ("铅(吨/年)", "Lead (t/yr)"),
    "forest_mu": ("林地(亩)", "Forest land (mu)"),
    # summary and comparison tables
    "scenario": ("情景", "Scenario"),
    "objective": ("目标值(万元)", "Objective (10k yuan)"),
    "best_bound": ("最优界(万元)", "Best bound (10k yuan)"),
    "gap": ("相对间隙", "Relative gap"),
    "solver": ("求解器", "Solver"),
    "approved": ("批准项目数(个)", "Approved projects"),
    "queued": ("排队项目数(个)", "Queued projects"),
    "land_used": ("已用土地(亩)", "Land used (mu)"),
    "purchase_cost": ("购买费用(万元)", "Purchase cost (10k yuan)"),
    "grade": ("亩均等级", "Per-mu grade"),
    "baseline": ("对照方法", "Baseline"),
    # analysis columns (allocation_columns, importance, baselines)
    "per_mu_score": ("亩均综合得分", "Per-mu score"),
    "replacement_cost": ("替代损失(万元)", "Replacement cost (10k yuan)"),
    "objective_without": ("去掉该项目后的目标值(万元)", "Objective without it (10k yuan)"),
    "uplift_pct": ("优化提升(%)", "Uplift of the optimised plan (%)"),
    "unmet_locks": ("未满足的锁定项目", "Unmet locked-in projects"),
}

# Suffixes of generated columns: "<quota>_charged" and friends.
QUOTA_SUFFIXES: dict[str, tuple[str, str]] = {
    "charged": ("核定占用", "charged"),
    "used": ("已用", "used"),
    "available": ("可用", "available"),
    "demand": ("需求", "demand"),
}

REASONS: dict[str, tuple[str, str]] = {
    "value": ("价值不及其他项目(被挤出)", "displaced by higher-value projects"),
    "min_investment_intensity": ("投资强度不达标", "investment intensity below the screen"),
    "min_tax_per_mu": ("亩均税收不达标", "tax per mu below the screen"),
    "budget": ("购买预算不足", "purchase budget"),
    "lock = out": ("锁定排除", "locked out"),
    "earliest_year after horizon": ("最早开工年份晚于规划期", "earliest start after the horizon"),
    "infeasible": ("方案不可行", "no feasible plan"),
    "no_solution": ("限时内无解", "no solution within the limits"),
}

# Words of the screen-failure text (e.g. "tianying: investment 120.0<200 万元/mu") shown in Chinese.
_SCREEN_WORDS_ZH = (
    ("万元/mu/yr", "万元/亩/年"),
    ("万元/mu", "万元/亩"),
    ("investment ", "投资强度 "),
    ("tax ", "亩均税收 "),
    (" and ", " 且 "),
)

STRINGS: dict[str, tuple[str, str]] = {
    # page
    "page_title": ("指标配置模拟器", "Quota planning simulator"),
    "page_caption": (
        "土地与能耗、排放指标在排队项目间的配置 — 移动参数，点击“求解”，查看谁获得指标",
        ("Allocate land, energy-use and emission quotas across queued projects — "
        "move the levers, press Solve, see who gets land"),
    ),
    # data
    "data_header": ("数据", "Data"),
    "scenario_picker": ("情景文件", "Scenario file"),
    "upload_projects": ("上传项目表(CSV 或 XLSX)", "Upload a projects table (CSV or XLSX)"),
    "upload_help": (
        "列格式见说明文档；上传失败时继续使用上一份有效数据",
        "Columns as in the documentation; a failed upload keeps the last good data",
    ),
    "upload_ok": ("已载入上传的项目表：{n} 个项目", "Uploaded projects table loaded: {n} projects"),
    "upload_failed": (
        "上传的项目表无法使用：{message}",
        "The uploaded projects table cannot be used: {message}",
    ),
    "upload_kept": ("继续使用上一份有效数据：{source}", "Still using the last good data: {source}"),
    "upload_clear": ("改回情景自带的项目表", "Back to the scenario's own projects table"),
    "projects_source": ("项目表：{source}({n} 个项目)", "Projects table: {source} ({n} projects)"),
    "scenario_error": ("情景无法载入：{message}", "The scenario cannot be loaded: {message}"),
    "input_warning": ("请核对：{warning}", "Please check: {warning}"),
    "solve_failed": (
        "求解未得到结果，请再按一次求解：{message}",
        "The solve ended without a result; press Solve again: {message}",
    ),
    # levers
    "levers_header": ("调整参数", "Levers"),
    "levers_land": ("土地", "Land"),
    "levers_energy_env": ("能耗与排放", "Energy and emissions"),
    "levers_land_classes": ("地类指标(林地、基本农田调整)", "Land-class quotas (forest, farmland)"),
    "class_amount": ("{name} 年度指标({unit}/年)", "{name} yearly quota ({unit}/yr)"),
    "class_amount_help": (
        "占用该地类的项目须有此指标：林地定额、基本农田规划调整(调整土地利用规划)等；为 0 时不能占用",
        "Projects on land of this class need this quota: the forest quota, the basic-farmland plan "
        "adjustment (a land-use plan change)…; at 0 such land cannot be used",
    ),
    "levers_objective": ("目标与求解", "Objective and solver"),
    "plan_land": ("年度新增建设用地计划指标(亩/年)", "Yearly plan land quota (mu/yr)"),
    "plan_land_help": (
        "全市年度计划指标；缺口 = 排队项目(未排除)用地按规划期年均 − 各来源用地供给年均",
        ("The city's yearly plan quota; shortfall = the queue's land (projects not locked out) per horizon "
        "year − the yearly land supply of all sources"),
    ),
    "shortfall_line": (
        "排队用地需求 {demand:,.0f} 亩/年，用地供给(各来源合计) {supply:,.0f} 亩/年，缺口 {gap:,.0f} 亩/年",
        ("Queue land demand {demand:,.0f} mu/yr, land supply (all sources) {supply:,.0f} mu/yr, "
        "shortfall {gap:,.0f} mu/yr"),
    ),
    "surplus_line": (
        "排队用地需求 {demand:,.0f} 亩/年，用地供给(各来源合计) {supply:,.0f} 亩/年，无缺口",
        "Queue land demand {demand:,.0f} mu/yr, land supply (all sources) {supply:,.0f} mu/yr, no shortfall",
    ),
    "stock_land": ("盘活存量用地(亩，规划期合计)", "Stock land to revitalise (mu, horizon total)"),
    "stock_land_help": (
        "批而未供、闲置土地的盘活量，按原情景的园区和年份比例分摊",
        ("Approved-but-unsupplied and idle land brought back, spread over parks and years "
        "in the scenario's proportions"),
    ),
    "linkage_amount": ("增减挂钩节余指标购买量(亩/年)", "Linkage quota to buy (mu/yr)"),
    "linkage_price": ("增减挂钩指标价格(万元/亩)", "Linkage quota price (10k yuan/mu)"),
    "budget": ("指标购买预算(万元)", "Purchase budget (10k yuan)"),
    "budget_unlimited": ("购买预算不设上限", "No limit on the purchase budget"),
    "budget_help": (
        "规划期内购买所有有价指标的费用上限",
        "Cap on the cost of all priced quota over the horizon",
    ),
    "energy_increment": ("年度能耗增量指标(吨标准煤/年)", "Yearly energy-use increment (tce/yr)"),
    "pollutant_amount": ("{name} 年度排放总量指标({unit}/年)", "{name} yearly allocation ({unit}/yr)"),
    "pollutant_ratio": ("{name} 替代比例(倍)", "{name} replacement ratio (×)"),
    "weight_output": ("权重：产值", "Weight: output"),
    "weight_tax": ("权重：税收", "Weight: tax"),
    "weight_investment": ("权重：投资", "Weight: investment"),
    "weight_jobs": ("权重：就业(万元/人)", "Weight: jobs (10k yuan per job)"),
    "strategic_bonus": ("战略性新兴产业加成(倍数，0 = 无)", "Strategic-industry bonus (fraction, 0 = none)"),
    "discount_rate": ("折现率", "Discount rate"),
    "years": ("规划期(年)", "Horizon (years)"),
    "time_limit": ("求解时限(秒)", "Solver time limit (s)"),
    "solve_button": ("求解", "Solve"),
    "solving": ("正在求解…", "Solving…"),
    # headline
    "headline_header": ("结果概览", "Headline"),
    "metric_approved": ("批准项目(个)", "Approved projects"),
    "metric_approved_of": ("共 {n} 个排队", "of {n} queued"),
    "metric_queued": ("排队项目(个)", "Queued projects"),
    "metric_quota": ("{name}({unit})", "{name} ({unit})"),
    "metric_used_of": ("已用 / 可用 {available}", "used of {available} available"),
    "metric_output": ("年产值(万元/年)", "Output (10k yuan/yr)"),
    "metric_tax": ("年税收(万元/年)", "Tax (10k yuan/yr)"),
    "metric_investment": ("投资(万元)", "Investment (10k yuan)"),
    "metric_objective": ("目标值(万元)", "Objective (10k yuan)"),
    "metric_status": ("求解状态", "Solve status"),
    "metric_gap_label": ("与最优界的相对间隙", "Gap to the best bound"),
    "metric_purchase": ("指标购买费用(万元)", "Quota purchase cost (10k yuan)"),
    "metric_seconds": ("用时 {seconds:.2f} 秒", "{seconds:.2f} s"),
    "feasible_note": (
        "求解在时限内停止：结果可行但未证明最优，与最优界的相对间隙为 {gap}。",
        ("The solver stopped at its limit: the plan is feasible but not proven optimal; "
        "its gap to the best bound is {gap}."),
    ),
    "no_solution_note": (
        "在求解时限内未找到可行方案，请延长求解时限或放宽约束。",
        "No plan was found within the solver limits; allow more time or loosen the settings.",
    ),
    "infeasible_note": (
        "当前设置不可行：锁定必须批准的项目所需指标超过了供给。",
        "These settings are infeasible: the projects locked in need more quota than is supplied.",
    ),
    "diagnosis_header": ("需要突破的最小指标量", "Smallest overrun that would make it feasible"),
    "city": ("全市", "city"),
    "overrun_label": ("最小超额量", "Smallest overrun"),
    # allocation
    "allocation_header": ("项目配置表", "Allocation"),
    "filter_status": ("状态", "Status"),
    "filter_zone": ("园区", "Park"),
    "filter_industry": ("行业", "Industry"),
    "rows_shown": ("显示 {shown} / {total} 个项目", "Showing {shown} of {total} projects"),
    "download_csv": ("下载配置表 CSV", "Allocation CSV"),
    "download_xlsx": ("下载配置工作簿 XLSX", "Planners' workbook XLSX"),
    "download_docx": ("下载会议报告 DOCX", "Meeting report DOCX"),
    "download_help_csv": ("每个项目一行的配置表(Excel 可直接打开)", "One row per project (opens in Excel)"),
    "download_help_xlsx": (
        "概要、配置表、供地计划、指标来源、指标使用、边际价值",
        "Summary, allocation, land supply plan, quota sources, quota use, marginal values",
    ),
    "download_help_docx": ("供管委会会议传阅的报告", "The report to circulate at the committee meeting"),
    "download_toml": ("下载当前情景 TOML", "Scenario TOML"),
    "download_help_toml": (
        "用 quota-sim run 运行此文件可复现当前结果",
        "quota-sim run on this file reproduces the current result",
    ),
    # charts
    "charts_header": ("图表", "Charts"),
    "chart_quota_use": (
        "指标使用与供给(按年份，按行业堆叠)",
        "Quota use vs supply per year (stacked by industry)",
    ),
    "chart_quota_pick": ("指标", "Quota"),
    "chart_quota_note": (
        ("柱：当年开工项目占用的指标，按行业堆叠；虚线：当年供给(所有来源)。"
        "可结转的指标，往年未用完的部分可在以后年份使用。"),
        ("Bars: quota charged by the projects starting that year, stacked by industry; dashed line: "
        "that year's supply (all sources). Where a quota carries over, supply left unused rolls on "
        "to later years."),
    ),
    "chart_amount_mu": ("用地(亩)", "Land (mu)"),
    "chart_start_years": ("各园区项目开工年份(个)", "Projects' start years by park (count)"),
    "chart_queue": ("排队用地需求与供给(亩/年)", "Queue land demand vs supply (mu/yr)"),
    "chart_queue_note": (
        "需求按项目最早可开工年份计入；首年含已具备条件的全部积压。",
        "Demand is counted in the year a project may first start; the first year carries the whole backlog.",
    ),
    "chart_supply": ("供给", "Supply"),
    "chart_demand": ("排队需求(当年具备条件)", "Queue demand (ready that year)"),
    "chart_count": ("项目数(个)", "Projects"),
    "chart_series": ("系列", "Series"),
    "no_industry": ("(未填行业)", "(no industry)"),
    # analysis
    "analysis_header": ("分析", "Analysis"),
    "analysis_toggle": (
        "计算边际价值、对照方法和项目重要性",
        "Compute marginal values, baselines and importance",
    ),
    "analysis_toggle_help": (
        "需要多次重新求解，耗时较长；结果按情景缓存",
        "Needs several re-solves and takes a while; results are kept per scenario",
    ),
    "analysing": ("正在分析…", "Analysing…"),
    "marginal_header": (
        "指标边际价值(再增加一单位指标带来的目标增益)",
        "Marginal value of one more unit of quota",
    ),
    "baselines_header": ("与常用排序方法对比", "Compared with rule-of-thumb rankings"),
    "importance_header": ("项目重要性", "Project importance"),
    "grades_header": ("亩均效益评价等级", "Per-mu efficiency grades"),
    # comparison
    "compare_header": ("情景对比", "Scenario comparison"),
    "save_name": ("保存当前情景为", "Save the current scenario as"),
    "save_button": ("保存", "Save"),
    "save_placeholder": ("例如：计划指标 900 亩", "e.g. plan quota 900 mu"),
    "saved_ok": ("已保存“{name}”", "Saved “{name}”"),
    "save_name_invalid": ("名称不能为空", "The name may not be empty"),
    "compare_pick": ("选择要对比的情景", "Scenarios to compare"),
    "compare_none": (
        "尚未保存情景。调整参数求解后，在此保存以便对比。",
        "No saved scenario yet. Solve, then save it here to compare.",
    ),
    "compare_figures": ("指标对比", "Figures side by side"),
    "compare_changes": ("状态发生变化的项目", "Projects whose status changes"),
    "compare_no_changes": (
        "所选情景之间没有项目状态变化",
        "No project changes status between these scenarios",
    ),
    "compare_clear": ("清空已保存情景", "Clear saved scenarios"),
    "current": ("当前", "current"),
    # state of the page
    "solve_pending": (
        "参数已改动但尚未求解：下方仍是上次求解的结果（变动：{changes}）。点击“求解”更新。",
        "The levers differ from the result shown below (changed: {changes}). Press Solve to update it.",
    ),
    "reset_levers": ("恢复原值", "Reset"),
    "reset_levers_help": ("把所有参数恢复为情景文件中的值", "Every lever back to the scenario file's value"),
    "choose": ("请选择", "Choose"),
    "restored": ("已从链接恢复设置“{name}”", "Setting “{name}” restored from the link"),
    "restore_missing": (
        "链接中的设置无法恢复（可能已被删除或依赖的上传文件已失效），显示情景原值。",
        ("The setting in the link cannot be restored (removed, or its uploaded table is gone); "
        "showing the scenario's own values."),
    ),
    # units and terms
    "metric_quota_total": ("{name}(已用，{unit}，规划期合计)", "{name} used ({unit}, whole horizon)"),
    "metric_available": ("规划期可用 {available}", "of {available} available over the horizon"),
    "objective_help": (
        ("目标值 = 批准项目在评估期内的折现效益(产值、税收、投资、就业按权重合计，含战略性新兴产业加成)"
        "减去购买有价指标的费用，单位万元。模型使其最大。"),
        ("Objective = the discounted value of the approved projects over the appraisal years (output, tax, "
        "investment and jobs by their weights, with the strategic bonus) minus the cost of priced quota, "
        "in 10k yuan. The model maximises it."),
    ),
    "gap_help": (
        ("相对间隙 = (最优界 − 目标值) / 目标值：求解器证明任何方案都不会比当前方案好出这个比例。"
        "达到设定间隙即视为最优。"),
        ("Relative gap = (best bound − objective) / objective: the solver has proved that no plan beats "
        "this one by more than this share. At or below the set gap the plan counts as optimal."),
    ),
    "lp_dual_help": (
        ("LP 对偶(影子价格)：把项目允许“部分批准”的线性松弛模型中，该指标多一单位带来的目标增益。"
        "只作参考，以“重新求解”一行为准。"),
        ("LP dual (shadow price): the objective gained by one more unit of the quota in the linear "
        "relaxation, where projects may be approved in part. Indicative only; the re-solve row is "
        "the measure."),
    ),
    "reason_unproven": (
        "未入选(限时方案未证明最优，间隙 {gap}，不能断定被更优项目挤出)",
        "not selected (time-limited plan, gap {gap}: not proven that better projects displaced it)",
    ),
    "unproven_note": (
        "方案在时限内停止，间隙 {gap}：未入选项目不一定是被更优项目挤出。延长求解时限可得到可靠结论。",
        ("The plan stopped at the time limit with a gap of {gap}: a waiting project was not necessarily "
        "displaced by better ones. Allow more time for a firm answer."),
    ),
    # errors
    "error_where_file": ("文件 {file}", "file {file}"),
    "error_where_row": ("第 {row} 行", "row {row}"),
    "error_where_column": ("“{column}”列", "column '{column}'"),
    # analysis job
    "analysis_running": ("正在分析：{step}（已用 {seconds:.0f} 秒，时限 {budget:.0f} 秒）",
                         "Analysing: {step} ({seconds:.0f} s of at most {budget:.0f} s)"),
    "analysis_cancel": ("取消分析", "Cancel the analysis"),
    "analysis_cancelled": ("分析已取消。", "The analysis was cancelled."),
    "analysis_over_budget": (
        "分析在时限 {budget:.0f} 秒内未完成，未计算：{steps}。",
        "The analysis did not finish within {budget:.0f} s; not computed: {steps}.",
    ),
    "step_baselines": ("对照方法", "rule-of-thumb rankings"),
    "step_marginal": ("指标边际价值", "marginal values"),
    "step_importance": ("项目重要性", "project importance"),
    "analysis_budget_note": (
        "分析用时 {seconds:.1f} 秒(预算 {budget:.1f} 秒)；重新求解：{resolves}",
        "Analyses took {seconds:.1f} s (budget {budget:.1f} s); re-solves: {resolves}",
    ),
    # comparison and library
    "save_taken": ("名称“{name}”已被另一个设置使用。", "The name “{name}” is taken by another setting."),
    "save_replace": ("覆盖“{name}”", "Replace “{name}”"),
    "save_as_new": ("另存为“{name}”", "Save as “{name}”"),
    "compare_levers": ("参数差异", "Levers that differ"),
    "compare_no_lever_changes": ("所选设置的参数相同", "The chosen settings have the same levers"),
    "lever": ("参数", "Lever"),
    "library_remove": ("从已保存列表中移除", "Remove from the saved list"),
    "open_setting": ("打开", "Open"),
    # what a waiting project would take
    "need_column": ("入选所需(追加指标)", "What it would take"),
    "need_short": (
        "追加 {parts} 可于 {year} 年在{zone}开工",
        "{parts} more would let it start in {zone} in {year}",
    ),
    "need_fits": ("剩余指标即可容纳({zone}，{year} 年)", "fits in what the plan leaves ({zone}, {year})"),
    "need_budget": ("购买预算 {amount} 万元", "purchase budget {amount} (10k yuan)"),
    # pins
    "pin_header": ("固定项目并重新求解", "Pin a project and solve again"),
    "pin_project": ("项目", "Project"),
    "pin_action": ("操作", "Action"),
    "pin_in": ("锁定批准", "Lock in (must be approved)"),
    "pin_out": ("锁定排除", "Lock out (never approved)"),
    "pin_fix": ("锁定到指定园区、年份(和地块)", "Lock in to a park, a year (and a site)"),
    "pin_zone": ("园区", "Park"),
    "pin_year": ("开工年份", "Start year"),
    "pin_site": ("地块", "Site"),
    "pin_any_site": ("园区内任一地块", "any site of the park"),
    "pin_button": ("固定并求解", "Pin and solve"),
    "pins_now": ("已固定的项目", "Pinned projects"),
    "pin_release": ("解除", "Release"),
    "pin_describe_in": ("{id} 锁定批准", "{id} locked in"),
    "pin_describe_out": ("{id} 锁定排除", "{id} locked out"),
    "pin_describe_free": ("{id} 解除锁定", "{id} released"),
    "pin_describe_fix": ("{id} 锁定批准于 {zone}，{year} 年开工", "{id} locked in at {zone} from {year}"),
    "locks_header": ("锁定批准的项目(可解除后重新求解)", "Locked-in projects (release one and solve again)"),
    # balance and sweep
    "balance_header": ("指标平衡", "Quota balance"),
    "balance_table": ("指标平衡(按园区、年份)", "Quota balance by park and year"),
    "balance_note": (
        ("供给：当年新增的无偿指标；已用：当年开工项目占用(各来源)；购买：来自有价来源；结转：年末剩余并结转到下一年。"
        "“全市”为全市统筹的来源，各园区共用。"),
        ("Supply: new free quota that year; used: charged by projects starting that year (all sources); "
        "bought: from priced sources; carried over: left at the year's end for the next year. "
        "“City” is the city-wide sources every park shares."),
    ),
    "sweep_header": ("年度计划指标扫描", "Sweep of the yearly plan quota"),
    "sweep_button": ("计算扫描曲线", "Compute the sweep"),
    "sweep_note": (
        "每个点按当前其他参数重新求解一次。灰线：当前计划指标；"
        "红线：补足 {gap:,.0f} 亩/年缺口所需的计划指标。",
        ("Each point is one solve with the other levers as they are. Grey: the current plan quota; red: the "
        "plan quota that closes the {gap:,.0f} mu/yr shortfall."),
    ),
    "sweep_running": ("扫描中：{done} / {total}", "Sweeping: {done} of {total}"),
    "sweep_left_out": (
        "扫描限时 {budget:.0f} 秒已用完，{n} 个点未计算(计划指标 {values})，曲线中没有这些点。",
        "The sweep's {budget:.0f} s were used up: {n} points were left out (plan quota {values}) and are not "
        "on the curves.",
    ),
    "sweep_continue": ("计算未完成的 {n} 个点", "Solve the {n} points left out"),
    "sweep_unproven": (
        "{n} 个点在限时内未证明最优(可行解，形状不同的点)。",
        "{n} points were not proven optimal within their time (feasible plans, drawn with another shape).",
    ),
    "quota_unit_word": ("指标单位", "quota unit"),
    # sites
    "sites_header": ("地块", "Sites"),
    "site_colour": ("着色", "Colour by"),
    "site_park": ("园区", "Park"),
    "site_all_parks": ("全部园区(不标注地块编号)", "every park (sites unlabelled)"),
    "site_colour_state": ("方案中的状态", "State in the plan"),
    "site_colour_main_class": ("主要地类", "Main land class"),
    "site_used": ("已用(亩)", "Used (mu)"),
    "site_free": ("剩余(亩)", "Free (mu)"),
    "site_state_used": ("已有批准项目", "Used by approved projects"),
    "site_state_free": ("空闲", "Free"),
    "site_state_blocked": ("受限(地类无指标)", "Blocked (its land class has no quota)"),
    "site_state_not_ready": ("规划期内未具备供地条件", "Not ready within the horizon"),
    "site_id": ("地块编号", "Site"),
    "site_area": ("面积(亩)", "Area (mu)"),
    "site_ready": ("可供年份", "Ready from"),
    "site_projects": ("批准项目", "Approved projects"),
    "site_map_note": (
        "按地块边界绘制(不需要在线地图)。红：已有批准项目；绿：空闲；灰：含无指标可用的地类(如公益林、基本农田)；"
        "橙：规划期内未具备供地条件。括号内为地块上批准的项目数，鼠标悬停可看项目。",
        "Drawn from the sites' own boundaries (no online map needed). Red: approved projects on it; green: "
        "free; grey: holds a land class with no quota (e.g. public-welfare forest, basic farmland); orange: "
        "not ready within the horizon. In brackets: approved projects on the site (hover to see them).",
    ),
    "site_no_geometry": ("地块表没有几何信息，只列出表格。", "No geometry in the sites table: table only."),
    "sweep_value": ("年度计划指标(亩/年)", "Yearly plan quota (mu/yr)"),
}


def t(key: str, lang: str = DEFAULT_LANGUAGE, **fields: object) -> str:
    """A UI string in ``lang`` ("zh" or "en"), with ``{fields}`` filled in.

    Raises KeyError for an unknown key, so a misspelt key fails loudly in tests.
    """
    text = pick(STRINGS[key], lang)
    return text.format(**fields) if fields else text


def column_label(
    column: str,
    lang: str = DEFAULT_LANGUAGE,
    units: Mapping[str, str] | None = None,
) -> str:
    """A table header with its unit, e.g. ``land_charged`` → "用地 核定占用(亩)".

    Parameters
    ----------
    column : str
        The column name of an allocation, quota use, marginal values or projects table.
    lang : str
        "zh" (default) or "en".
    units : mapping, optional
        Quota id → unit (e.g. from the scenario's ``[quotas.<id>] unit``); overrides
        the default unit of a known quota and supplies the unit of any other quota.

    Returns
    -------
    str
        The label; a column this module does not know is returned unchanged.
    """
    if column in COLUMNS:
        return pick(COLUMNS[column], lang)
    quota, _, suffix = column.rpartition("_")
    if quota and suffix in QUOTA_SUFFIXES:
        unit = (units or {}).get(quota) or QUOTA_UNITS.get(quota)
        name = quota_label(quota, lang)
        what = pick(QUOTA_SUFFIXES[suffix], lang)
        if unit is None:
            return f"{name} {what}"
        shown = unit_label(unit, lang)
        return f"{name} {what}({shown})" if lang != "en" else f"{name} {what} ({shown})"
    return column


def reason_label(
    reason: str,
    lang: str = DEFAULT_LANGUAGE,
    quota_ids: Collection[str] = (),
) -> str:
    """The reason a project was not selected, in ``lang``.

    A reason is ``value`` (it fits but better projects displaced it), the ids of the
    quotas that block it separated by ``|`` (e.g. ``land|nox``), with site problems among
    them (``land (its site is cropland land)|no free site large enough``: worded as in the
    meeting pack), a failed screen (``tianying: investment 120.0<200 万元/mu``, several
    joined by ``; ``) or a fixed phrase such as ``lock = out``. ``quota_ids`` names the
    scenario's quotas, so that quotas this module has no name for are still recognised as
    blocking quotas.
    """
    if not reason:
        return ""
    if reason in REASONS:
        return pick(REASONS[reason], lang)
    parts = [part.strip() for part in reason.split("|")]
    if all(part in quota_ids or part in QUOTA_NAMES for part in parts):
        short = "指标不足" if lang != "en" else " quota short"
        return ("、" if lang != "en" else ", ").join(quota_label(part, lang) + short for part in parts)
    known = set(quota_ids) | set(QUOTA_NAMES)
    sentence = blocking_sentence(reason, lambda q: quota_label(q, lang) if q in known else None, lang)
    if sentence is not None:
        return sentence
    if lang == "en":
        return reason
    shown = reason
    for word, chinese in _SCREEN_WORDS_ZH:
        shown = shown.replace(word, chinese)
    return shown


# Bad-input details as the readers word them, and their Chinese (first match wins; the rest of a
# message that matches no pattern stays as it is).
_ERRORS_ZH: tuple[tuple[str, str], ...] = (
    (r"^project (.+?): ", r"项目 \1："),
    (r"(?:text )?'(.*)' is not a (?:finite )?number", r"“\1”不是数字"),
    (r"^(\S+) is not a (?:finite |whole )?number", r"\1 不是有效数字"),
    (r"the project id is blank", "项目编号为空"),
    (r"the zone is blank", "园区为空"),
    (r"'(.+)' is blank", r"“\1”为空"),
    (r"required column '(.+)' is missing", r"缺少必需的列“\1”"),
    (r"column '(.+?)' is missing; ", r"缺少列“\1”："),
    (r"column '(.+?)' holds text, but ", r"列“\1”含文字，但"),
    (r"(\S+) is negative; numbers must be >= 0", r"\1 为负数，数值须 ≥ 0"),
    (r"(\S+) is implausibly large \(at most (\S+)\)", r"\1 过大（至多 \2）"),
    (r"(\S+) is implausibly small \(0, or at least (\S+)\)", r"\1 过小（须为 0 或至少 \2）"),
    (r"zone '(.+?)' is not declared in the scenario \(declared: (.+?)\)", r"园区“\1”不在情景中（已有：\2）"),
    (r"; did you mean '(.+)'\?", r"；是否应为“\1”？"),
    (r"lock must be 'in', 'out' or blank, got '(.*)'", r"锁定只能为 in、out 或空，实为“\1”"),
    (r"'(.*)' is not an ISO date \(YYYY-MM-DD\)", r"“\1”不是日期（应为 YYYY-MM-DD）"),
    (r"old \.xls format: save as \.xlsx or CSV", "旧版 .xls 格式：请另存为 .xlsx 或 CSV"),
    (r"not a readable \.xlsx workbook", "不是可读取的 .xlsx 工作簿"),
    (r"not a readable CSV table", "不是可读取的 CSV 表格"),
    (r"the table has no project \(only a header row\)", "表中没有项目（只有表头）"),
    (r"the table is empty: row 1 must hold the column headers", "表格为空：第 1 行应为列标题"),
    (r"the file holds binary data \(NUL bytes\), not a text table", "文件含二进制数据，不是文本表格"),
    (r"file too large \((.+?)\); the limit is (.+)", r"文件过大（\1），上限为 \2"),
    (r"the workbook has no visible sheet", "工作簿没有可见的工作表"),
    # a solve that ended without a result (quota_sim.app.solver.SolveFailed)
    (r"the solver process ended \(exit code (.+?)\)", r"求解进程意外结束（退出码 \1）"),
    (r"the solver process was stopped", "求解进程已停止"),
    (r"the server is stopping", "服务正在停止"),
    (
        r"^TimeUp: the time limit of (\S+) s was reached while (.+) \((\S+) s\); allow more time",
        r"已达到 \1 秒的时间上限（\2，用时 \3 秒）；请放宽时间上限",
    ),
    (r"reading the queue", "读取项目表"),
    (r"building the model of (\S+) projects", r"建立 \1 个项目的模型"),
)


# What a table reads that a planner may not have meant (:func:`quota_sim.tables.hidden_warnings`), in
# Chinese.
_WARNINGS_ZH: tuple[tuple[str, Any], ...] = (
    (
        r"^(\d+) hidden row\(s\) are read as (projects|sites) \(rows (.+)\)$",
        lambda found: (
            f"{found[1]} 个隐藏行仍作为{'项目' if found[2] == 'projects' else '地块'}读入"
            f"（第 {found[3].replace(', ', '、')} 行）"
        ),
    ),
    (r"^column '(.+)' is hidden in the workbook and is read$", r"列“\1”在工作簿中隐藏，但仍被读入"),
)
_WARNING = re.compile(r"^(?P<file>.+): (?P<detail>(?:\d+ hidden row|column ').*)$")


def input_warning(warning: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """A warning of a table reader (``"<file>: <detail>"``) in ``lang``, naming the file by its name."""
    found = _WARNING.match(warning)
    if found is None:
        return warning
    detail = found["detail"]
    if lang != "en":
        for pattern, chinese in _WARNINGS_ZH:
            detail = re.sub(pattern, chinese, detail)
    return f"{PurePath(found['file']).name}{'：' if lang != 'en' else ': '}{detail}"


def error_message(message: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """The detail of a bad-input message in ``lang``: in Chinese, the known phrases translated."""
    if lang == "en":
        return message
    for pattern, chinese in _ERRORS_ZH:
        message = re.sub(pattern, chinese, message)
    return message
