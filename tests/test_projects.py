"""Reading and checking the projects table (SPEC §1.2)."""

from __future__ import annotations

import datetime
from pathlib import Path

import numpy as np
import openpyxl
import pytest
import tomli_w

from quota_sim.errors import InputError
from quota_sim.projects import Projects, canonical_column, load_projects, projects_for, read_projects_bytes
from quota_sim.scenario import load_scenario

ZONES = ["tianying", "chengdong"]
DEMAND = {"energy_tce": "energy", "nox_t": "nox"}
HEADER = [
    "id", "name", "zone", "land_mu", "investment", "output", "tax", "jobs", "strategic",
    "earliest_year", "ramp_years", "lock", "queued_since", "energy_tce", "nox_t",
]  # fmt: skip
ROWS = [
    ["P001", "再生铅扩建", "tianying", "120", "36000", "99600", "1800", "80", "是",
     "2027", "2", "in", "2025-11-03", "5200", "3.5"],
    ["P002", "生物基材料", "chengdong|tianying", "45.5", "13650", "15000", "", "", "no",
     "", "0", "", "", "", "0.8"],
    ["P003", "Pipes", "tianying", "30", "9000", "12000", "450", "120", "TRUE",
     "2026", "1", "OUT", "2024-06-30", "800", ""],
]  # fmt: skip


def csv_text(rows: list[list[str]], header: list[str] = HEADER) -> str:
    return (
        "\n".join(",".join(f'"{cell}"' if "," in cell else cell for cell in row) for row in [header, *rows])
        + "\n"
    )


def write_csv(
    tmp_path: Path, rows: list[list[str]], header: list[str] = HEADER, name: str = "projects.csv"
) -> Path:
    path = tmp_path / name
    path.write_text(csv_text(rows, header), encoding="utf-8")
    return path


def load(path: Path, **kwargs) -> Projects:
    return load_projects(path, ZONES, DEMAND, **kwargs)


def with_cell(column: str, value: str, row: int = 1) -> list[list[str]]:
    """ROWS with one cell changed (row index 0-based into ROWS)."""
    rows = [list(r) for r in ROWS]
    rows[row][HEADER.index(column)] = value
    return rows


def assert_same(a: Projects, b: Projects) -> None:
    for name in Projects.__dataclass_fields__:
        if name == "path":
            continue
        left, right = getattr(a, name), getattr(b, name)
        if name == "demand":
            assert left.keys() == right.keys()
            for key in left:
                np.testing.assert_array_equal(left[key], right[key])
        elif isinstance(left, np.ndarray):
            np.testing.assert_array_equal(left, right)
            assert left.dtype == right.dtype
        else:
            assert left == right, name


def test_reads_every_column(tmp_path: Path) -> None:
    projects = load(write_csv(tmp_path, ROWS))
    assert projects.ids == ["P001", "P002", "P003"]
    assert projects.names == ["再生铅扩建", "生物基材料", "Pipes"]
    assert projects.zones == [("tianying",), ("chengdong", "tianying"), ("tianying",)]
    np.testing.assert_array_equal(projects.land_mu, [120, 45.5, 30])
    np.testing.assert_array_equal(projects.tax, [1800, 0, 450])
    np.testing.assert_array_equal(projects.jobs, [80, 0, 120])
    np.testing.assert_array_equal(projects.strategic, [True, False, True])
    np.testing.assert_array_equal(projects.earliest_year, [2027, 0, 2026])
    np.testing.assert_array_equal(projects.ramp_years, [2, 0, 1])
    assert projects.lock == ["in", "", "out"]
    assert projects.queued_since == ["2025-11-03", "", "2024-06-30"]
    np.testing.assert_array_equal(projects.demand["energy_tce"], [5200, 0, 800])
    np.testing.assert_array_equal(projects.demand["nox_t"], [3.5, 0.8, 0])
    np.testing.assert_array_equal(projects.demand["land_mu"], projects.land_mu)
    assert projects.rows == [2, 3, 4]
    assert len(projects) == 3


def test_blank_rows_skipped_and_row_numbers_kept(tmp_path: Path) -> None:
    rows = [ROWS[0], [""] * len(HEADER), ["", " "], ROWS[1]]
    projects = load(write_csv(tmp_path, rows))
    assert projects.ids == ["P001", "P002"]
    assert projects.rows == [2, 5]


def test_bom_csv(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + csv_text(ROWS).encode("utf-8"))
    assert_same(load(path), load(write_csv(tmp_path, ROWS)))


def test_gbk_csv_with_chinese_headers(tmp_path: Path) -> None:
    header = ["项目编号", "项目名称", "所在园区", "用地面积（亩）", "总投资(万元)", "年产值", "税收",
              "就业人数", "战略性新兴产业", "最早开工年份", "达产年限", "锁定", "入库日期", "energy_tce",
              "NOx_t"]  # fmt: skip
    path = tmp_path / "gbk.csv"
    path.write_bytes(csv_text(ROWS, header).encode("gbk"))
    assert_same(load(path), load(write_csv(tmp_path, ROWS)))


def test_canonical_headers_case_insensitive_and_aliases(tmp_path: Path) -> None:
    header = [" ID ", "名称", "园区", "用地(亩)", "Investment", "产值(万元)", "年税收", "jobs", "strategic",
              "earliest_year", "Ramp_Years (年)", "LOCK", "queued_since", "Energy_TCE（tce）",
              "nox_t"]  # fmt: skip
    assert_same(load(write_csv(tmp_path, ROWS, header)), load(write_csv(tmp_path, ROWS, name="plain.csv")))


def test_tab_separated(tmp_path: Path) -> None:
    path = tmp_path / "projects.txt"
    path.write_text("\n".join("\t".join(row) for row in [HEADER, *ROWS]), encoding="utf-8")
    assert_same(load(path), load(write_csv(tmp_path, ROWS)))


def test_thousands_separators_and_whole_float_years(tmp_path: Path) -> None:
    rows = with_cell("investment", "1,234,567.5", row=0)
    rows[0][HEADER.index("earliest_year")] = "2027.0"
    projects = load(write_csv(tmp_path, rows))
    assert projects.investment[0] == 1234567.5
    assert projects.earliest_year[0] == 2027


def write_xlsx(path: Path, rows: list[list[object]], header: list[str] = HEADER) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.create_sheet("ignored").append(["not", "read"])
    book.save(path)
    return path


def as_xlsx_cells(row: list[str]) -> list[object]:
    """The row as a planner's workbook stores it: numbers as numbers, dates as dates, blanks empty."""
    cells: list[object] = []
    for column, text in zip(HEADER, row, strict=True):
        if text == "":
            cells.append(None)
        elif column == "queued_since":
            cells.append(datetime.datetime.fromisoformat(text))
        elif column in ("land_mu", "investment", "output", "tax", "jobs", "energy_tce", "nox_t"):
            cells.append(float(text))
        elif column in ("earliest_year", "ramp_years"):
            cells.append(int(text))
        else:
            cells.append(text)
    return cells


def test_xlsx_round_trip_matches_csv(tmp_path: Path) -> None:
    xlsx_rows = [as_xlsx_cells(ROWS[0]), [None] * len(HEADER), *(as_xlsx_cells(r) for r in ROWS[1:])]
    from_xlsx = load(write_xlsx(tmp_path / "projects.xlsx", xlsx_rows))
    from_csv = load(write_csv(tmp_path, [ROWS[0], [""] * len(HEADER), *ROWS[1:]]))
    assert_same(from_xlsx, from_csv)
    assert from_xlsx.rows == [2, 4, 5]


def test_xlsx_numeric_ids_and_codes_read_as_text(tmp_path: Path) -> None:
    header = [
        "id",
        "zone",
        "land_mu",
        "investment",
        "output",
        "industry_code",
        "strategic",
        "energy_tce",
        "nox_t",
    ]
    path = write_xlsx(tmp_path / "ids.xlsx", [[7, "tianying", 10, 100, 100, 4210.0, 1, None, None]], header)
    projects = load(path)
    assert projects.ids == ["7"]
    assert projects.industry_codes == ["4210"]
    assert projects.strategic.tolist() == [True]


def test_upload_bytes_format_by_name_or_content(tmp_path: Path) -> None:
    xlsx = write_xlsx(tmp_path / "p.xlsx", [as_xlsx_cells(r) for r in ROWS]).read_bytes()
    expected = load(write_csv(tmp_path, ROWS))
    assert_same(read_projects_bytes(xlsx, "queue.xlsx", ZONES, DEMAND), expected)
    assert_same(read_projects_bytes(xlsx, "queue.dat", ZONES, DEMAND), expected)
    assert_same(read_projects_bytes(xlsx, "misnamed.csv", ZONES, DEMAND), expected)
    uploaded = read_projects_bytes(csv_text(ROWS).encode(), "queue", ZONES, list(DEMAND))
    assert_same(uploaded, expected)
    assert uploaded.path == Path("queue")


def test_projects_for_scenario(tmp_path: Path) -> None:
    write_csv(tmp_path, ROWS)
    raw = {
        "name": "s",
        "projects": "projects.csv",
        "zones": [{"id": "tianying"}, {"id": "chengdong"}],
        "quotas": {
            "energy": {"demand": "energy_tce", "sources": []},
            "land": {"demand": "land_mu", "sources": []},
        },
    }
    (tmp_path / "s.toml").write_text(tomli_w.dumps(raw), encoding="utf-8")
    projects = projects_for(load_scenario(tmp_path / "s.toml"))
    assert sorted(projects.demand) == ["energy_tce", "land_mu"]
    np.testing.assert_array_equal(projects.demand["energy_tce"], [5200, 0, 800])


def test_projects_for_names_the_quota_of_a_missing_column(tmp_path: Path) -> None:
    write_csv(tmp_path, ROWS)
    raw = {
        "name": "s",
        "projects": "projects.csv",
        "zones": [{"id": "tianying"}, {"id": "chengdong"}],
        "quotas": {"lead": {"demand": "lead_kg", "sources": []}},
    }
    (tmp_path / "s.toml").write_text(tomli_w.dumps(raw), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        projects_for(load_scenario(tmp_path / "s.toml"))
    assert (caught.value.file, caught.value.row, caught.value.column) == ("projects.csv", 1, "lead_kg")
    assert "quota 'lead'" in caught.value.message


# --- bad cells: one case per kind, (column, value, row index in ROWS, spreadsheet row, phrase) ---

BAD_CELLS = [
    ("investment", "abc", 1, 3, "project P002: text 'abc' is not a number"),
    ("output", "-5", 1, 3, "negative"),
    ("tax", "nan", 0, 2, "not a finite number"),
    ("energy_tce", "inf", 0, 2, "not a finite number"),
    ("output", "1e300", 1, 3, "implausibly large"),
    ("land_mu", "0", 2, 4, "land_mu must be at least 0.01"),
    ("output", "", 1, 3, "'output' is blank"),
    ("earliest_year", "2027.5", 0, 2, "not a whole number"),
    ("earliest_year", "3", 0, 2, "not a calendar year"),
    ("ramp_years", "-1", 0, 2, "negative"),
    ("zone", "tianyin", 0, 2, "did you mean 'tianying'"),
    ("zone", "tianying|tianying", 0, 2, "listed twice"),
    ("zone", "tianying||chengdong", 0, 2, "empty zone id"),
    ("zone", "", 0, 2, "zone is blank"),
    ("strategic", "maybe", 2, 4, "not one of 1/0"),
    ("lock", "maybe", 2, 4, "lock must be 'in', 'out' or blank"),
    ("queued_since", "2026/1/5", 0, 2, "not an ISO date"),
    ("id", "", 1, 3, "project id is blank"),
    ("id", "P001", 2, 4, "id 'P001' is used twice (rows 2 and 4)"),
]


@pytest.mark.parametrize(("column", "value", "index", "row", "phrase"), BAD_CELLS)
def test_bad_cell(tmp_path: Path, column: str, value: str, index: int, row: int, phrase: str) -> None:
    path = write_csv(tmp_path, with_cell(column, value, row=index))
    with pytest.raises(InputError) as caught:
        load(path, start_year=2026)
    error = caught.value
    assert (error.file, error.row, error.column) == ("projects.csv", row, column)
    assert phrase in error.message


def test_bad_cell_names_the_header_as_written(tmp_path: Path) -> None:
    header = ["项目编号" if h == "id" else "总投资（万元）" if h == "investment" else h for h in HEADER]
    path = write_csv(tmp_path, with_cell("investment", "很多", row=0), header)
    with pytest.raises(InputError) as caught:
        load(path)
    assert (caught.value.row, caught.value.column) == (2, "总投资（万元）")
    assert "project P001: text '很多' is not a number" in caught.value.message


def test_xlsx_bad_cells(tmp_path: Path) -> None:
    rows = [as_xlsx_cells(r) for r in ROWS]
    rows[2][HEADER.index("investment")] = True
    with pytest.raises(InputError) as caught:
        load(write_xlsx(tmp_path / "bad.xlsx", rows))
    assert (caught.value.file, caught.value.row, caught.value.column) == ("bad.xlsx", 4, "investment")
    assert "is not a number" in caught.value.message


def test_row_wider_than_header(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text(csv_text(ROWS).replace("再生铅扩建", "再生铅, 扩建"), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load(path)
    assert (caught.value.file, caught.value.row, caught.value.column) == ("wide.csv", 2, None)
    assert "unquoted comma" in caught.value.message


@pytest.mark.parametrize("column", ["id", "zone", "land_mu", "investment", "output"])
def test_missing_required_column(tmp_path: Path, column: str) -> None:
    keep = [i for i, h in enumerate(HEADER) if h != column]
    path = write_csv(tmp_path, [[r[i] for i in keep] for r in ROWS], [HEADER[i] for i in keep])
    with pytest.raises(InputError) as caught:
        load(path)
    assert (caught.value.file, caught.value.row, caught.value.column) == ("projects.csv", 1, column)
    assert "required column" in caught.value.message


def test_missing_demand_column_names_quota(tmp_path: Path) -> None:
    path = write_csv(tmp_path, ROWS)
    with pytest.raises(InputError) as caught:
        load_projects(path, ZONES, {"so2_t": "so2"})
    assert (caught.value.row, caught.value.column) == (1, "so2_t")
    assert "quota 'so2'" in caught.value.message


def test_text_column_as_demand(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        load_projects(write_csv(tmp_path, ROWS), ZONES, {"lock": "odd"})
    assert (caught.value.row, caught.value.column) == (1, "lock")
    assert "holds text" in caught.value.message


def test_duplicate_header_after_aliasing(tmp_path: Path) -> None:
    path = write_csv(tmp_path, [[*r, "X"] for r in ROWS], [*HEADER, "项目编号"])
    with pytest.raises(InputError) as caught:
        load(path)
    assert (caught.value.file, caught.value.row, caught.value.column) == ("projects.csv", 1, "项目编号")
    assert "both mean 'id'" in caught.value.message


def test_no_project(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        load(write_csv(tmp_path, [[""] * len(HEADER)]))
    assert (caught.value.file, caught.value.row, caught.value.column) == ("projects.csv", None, None)
    assert "no project" in caught.value.message


def test_empty_csv(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(InputError) as caught:
        load(path)
    assert (caught.value.file, caught.value.row) == ("empty.csv", 1)
    assert "empty" in caught.value.message


def test_neither_utf8_nor_gbk(tmp_path: Path) -> None:
    path = tmp_path / "binary.csv"
    path.write_bytes(b"id,zone\n\xff\xff\xff\n")
    with pytest.raises(InputError) as caught:
        load(path)
    assert caught.value.file == "binary.csv"
    assert "neither UTF-8 nor GBK" in caught.value.message


def test_nul_bytes_in_csv(tmp_path: Path) -> None:
    path = tmp_path / "nul.csv"
    path.write_bytes(csv_text(ROWS).encode() + b"P9,\x00\n")
    with pytest.raises(InputError) as caught:
        load(path)
    assert caught.value.file == "nul.csv"
    assert "NUL bytes" in caught.value.message


def test_utf16_tab_separated_unicode_text(tmp_path: Path) -> None:
    path = tmp_path / "unicode.txt"
    path.write_bytes("\r\n".join("\t".join(row) for row in [HEADER, *ROWS]).encode("utf-16"))
    assert_same(load(path), load(write_csv(tmp_path, ROWS)))


@pytest.mark.parametrize("name", ["old.xls", "old", "old.csv"])
def test_old_xls(tmp_path: Path, name: str) -> None:
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512)
    with pytest.raises(InputError) as caught:
        read_projects_bytes(data, name, ZONES, DEMAND)
    assert caught.value.file == name
    assert "old .xls format: save as .xlsx or CSV" in caught.value.message


@pytest.mark.parametrize("damage", ["truncated", "random", "empty"])
def test_broken_xlsx(tmp_path: Path, damage: str) -> None:
    good = write_xlsx(tmp_path / "good.xlsx", [as_xlsx_cells(r) for r in ROWS]).read_bytes()
    data = {
        "truncated": good[: len(good) // 2],
        "random": np.random.default_rng(1).bytes(3000),
        "empty": b"",
    }[damage]
    path = tmp_path / "broken.xlsx"
    path.write_bytes(data)
    with pytest.raises(InputError) as caught:
        load(path)
    assert caught.value.file == "broken.xlsx"
    assert "not a readable .xlsx workbook" in caught.value.message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        load(tmp_path / "nowhere.csv")
    assert caught.value.file == "nowhere.csv"
    assert "not found" in caught.value.message


def test_csv_field_too_large(tmp_path: Path) -> None:
    path = write_csv(tmp_path, with_cell("name", "x" * 200_000, row=1))
    with pytest.raises(InputError) as caught:
        load(path)
    assert (caught.value.file, caught.value.row) == ("projects.csv", 3)
    assert "not a readable CSV table" in caught.value.message


def test_canonical_column() -> None:
    assert canonical_column("用地面积（亩）") == "land_mu"
    assert canonical_column(" Land_MU ") == "land_mu"
    assert canonical_column("就业人数(人)") == "jobs"
    assert canonical_column("NOx_t (t)") == "nox_t"
    assert canonical_column("energy_tce") == "energy_tce"


def test_two_headers_for_one_demand_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path, [[*r, "1"] for r in ROWS], [*HEADER, "NOx_t(kg)"])
    with pytest.raises(InputError) as caught:
        load(path)
    assert (caught.value.row, caught.value.column) == (1, "NOx_t(kg)")
    assert "both mean 'nox_t'" in caught.value.message


def test_repeated_unused_columns_are_ignored(tmp_path: Path) -> None:
    path = write_csv(tmp_path, [[*r, "a", "b"] for r in ROWS], [*HEADER, "备注", "备注"])
    assert_same(load(path), load(write_csv(tmp_path, ROWS, name="plain.csv")))


def test_chinese_quota_demand_headers_with_their_unit_are_read(tmp_path: Path) -> None:
    assert canonical_column("综合能耗（吨标准煤）") == "energy_tce"
    assert canonical_column("氮氧化物（吨）") == "nox_t"
    assert canonical_column("铅（千克）") == "lead_kg"
    assert canonical_column("占用林地（亩）") == "forest_mu"
    assert canonical_column("综合能耗（万吨标准煤）") != "energy_tce"  # another unit is not silently rescaled
    table = tmp_path / "queue.csv"
    table.write_text(
        "项目编号,园区,用地面积（亩）,总投资,年产值,综合能耗（吨标准煤）,氮氧化物（吨）\nP1,a,10,1000,2000,350.5,1.25\n",
        encoding="utf-8",
    )
    projects = load_projects(table, ["a"], {"energy_tce": "energy", "nox_t": "nox"})
    assert projects.demand["energy_tce"].tolist() == [350.5]
    assert projects.demand["nox_t"].tolist() == [1.25]
