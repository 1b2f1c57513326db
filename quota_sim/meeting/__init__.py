"""The planners' meeting pack: the workbook ``allocation.xlsx`` and the report ``report.docx`` (SPEC §6).

Both are built from the files a run writes (summary.json with its ``planner`` block, allocation.csv,
quota_use.csv, attribution.csv, marginal_values.csv), so a results folder alone is enough to rebuild
them (``quota-sim report RESULTS_DIR``), and their numbers are the result's own.

- :mod:`quota_sim.meeting.facts` — the ``planner`` block of summary.json (names, land balance, needs);
- :mod:`quota_sim.meeting.data` — the result's tables, read from a result or a results folder;
- :mod:`quota_sim.meeting.workbook` — the planners' workbook;
- :mod:`quota_sim.meeting.report` — the meeting report, with :mod:`quota_sim.meeting.charts`;
- :mod:`quota_sim.meeting.labels` — the words of both, Chinese and English.
"""
