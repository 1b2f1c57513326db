"""Hostile and careless inputs: real files (workbooks, encodings, devices, pipes, deep TOML)."""

from __future__ import annotations

import io
import os
import re
import tracemalloc
import zipfile
from pathlib import Path

import openpyxl
import pytest

from quota_sim.cli import main
from quota_sim.errors import InputError
from quota_sim.input_files import MAX_TABLE_BYTES, clean_key
from quota_sim.projects import load_projects
from quota_sim.scenario import load_scenario
from tests.instances import project_row, scenario_dict, write_instance

HEADER = ["id", "zone", "land_mu", "investment", "output", "name"]


def _load(path: Path):
    return load_projects(path, ["a", "b"], ["land_mu"])


def _book(rows: list[list[object]], header: list[str] = HEADER) -> openpyxl.Workbook:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    return book


# ---------------------------------------------------------------------------- workbooks


def test_the_first_visible_sheet_is_read(tmp_path):
    book = _book([["HIDDEN", "a", 5, 1, 1, "x"]])
    book.active.sheet_state = "hidden"
    visible = book.create_sheet("queue")
    visible.append(HEADER)
    visible.append(["V1", "a", 5, 1, 1, "y"])
    book.save(tmp_path / "p.xlsx")
    assert _load(tmp_path / "p.xlsx").ids == ["V1"]


def test_a_formula_without_a_saved_value_is_refused_naming_the_cell(tmp_path):
    book = _book([["P1", "a", 5, 1, 1, "x"], ["P2", "a", "=C2*2", 1, 1, "y"]])
    book.save(tmp_path / "p.xlsx")
    with pytest.raises(InputError, match=r"cell C3 holds a formula without a saved value"):
        _load(tmp_path / "p.xlsx")


def _with_cached_value(path: Path, cell: str, formula: str, value: str) -> None:
    """Give a formula cell the value a spreadsheet saves with it (openpyxl writes none)."""
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    sheet, count = re.subn(
        rf'<c r="{cell}"[^>]*><f>{re.escape(formula)}</f>(?:<v\s*/>|<v></v>)',
        f'<c r="{cell}"><f>{formula}</f><v>{value}</v>',
        sheet,
    )
    if not count:
        sheet, count = re.subn(
            rf'<c r="{cell}"[^>]*><f>{re.escape(formula)}</f></c>',
            f'<c r="{cell}"><f>{formula}</f><v>{value}</v></c>',
            sheet,
        )
    assert count == 1, sheet
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def test_a_formula_with_a_saved_value_reads_that_value(tmp_path):
    book = _book([["P1", "a", 5, 1, 1, "x"], ["P2", "a", "=C2*2", 1, 1, "y"]])
    book.save(tmp_path / "p.xlsx")
    _with_cached_value(tmp_path / "p.xlsx", "C3", "C2*2", "10")
    assert list(_load(tmp_path / "p.xlsx").land_mu) == [5, 10]


def test_hidden_rows_and_columns_that_are_read_give_a_warning(tmp_path, capsys):
    book = _book([["P1", "a", 5, 1, 1, "x"], ["P2", "a", 6, 1, 1, "y"]], header=[*HEADER, "remark"])
    book.active.row_dimensions[3].hidden = True
    book.active.column_dimensions["E"].hidden = True  # output: read by the model
    book.active.column_dimensions["G"].hidden = True  # remark: not read, no warning
    book.save(tmp_path / "p.xlsx")
    warnings = _load(tmp_path / "p.xlsx").warnings
    assert any("hidden row" in w and "rows 3" in w for w in warnings)
    assert any("column 'output'" in w for w in warnings)
    assert not any("remark" in w for w in warnings)
    scenario = write_instance(tmp_path / "in", scenario_dict(), [project_row("X")])
    text = scenario.read_text(encoding="utf-8").replace(
        'projects = "projects.csv"', f'projects = "{tmp_path / "p.xlsx"}"'
    )
    scenario.write_text(text.replace('id = "a"', 'id = "a"'), encoding="utf-8")
    assert main(["check", str(scenario)]) == 0
    assert "hidden row" in capsys.readouterr().out


def test_a_cell_far_to_the_right_is_refused_without_padding_every_row(tmp_path):
    book = _book([[f"P{i}", "a", 5, 1, 1, "x"] for i in range(3000)])
    for row in range(1, 3002):
        book.active.cell(row=row, column=16384, value="stray")  # column XFD
    book.save(tmp_path / "p.xlsx")
    assert (tmp_path / "p.xlsx").stat().st_size < 200_000
    tracemalloc.start()
    try:
        with pytest.raises(InputError, match="XFD1 lies beyond column ALL"):
            _load(tmp_path / "p.xlsx")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50 * 1024 * 1024  # padded to XFD, the rows alone would take about 400 MB


def test_empty_formatted_cells_far_to_the_right_cost_nothing(tmp_path):
    book = _book([["P1", "a", 5, 1, 1, "x"]])
    book.active.cell(row=2, column=16384).number_format = "0.00"  # formatted, no value
    book.save(tmp_path / "p.xlsx")
    assert _load(tmp_path / "p.xlsx").ids == ["P1"]


# ---------------------------------------------------------------------------- CSV encodings


def _csv(rows: list[str]) -> str:
    return "\n".join([",".join(HEADER), *rows]) + "\n"


def test_utf8_with_one_gbk_row_is_refused_naming_the_row(tmp_path):
    path = tmp_path / "p.csv"
    good = _csv(["P1,a,5,1,1,田营项目", "P2,a,5,1,1,城东项目"]).encode("utf-8")
    path.write_bytes(good + "P3,a,5,1,1,高新项目\n".encode("gbk"))
    with pytest.raises(InputError) as error:
        _load(path)
    assert error.value.row == 4 and "mixes text encodings" in str(error.value)


def test_a_gbk_file_reads_and_a_row_in_neither_encoding_is_named(tmp_path):
    path = tmp_path / "p.csv"
    path.write_bytes(_csv(["P1,a,5,1,1,田营项目", "P2,a,5,1,1,城东项目"]).encode("gbk"))
    assert _load(path).names == ["田营项目", "城东项目"]
    path.write_bytes(_csv(["P1,a,5,1,1,田营项目"]).encode("gbk") + b"P2,a,5,1,1,\xff\xfe\xff\n")
    with pytest.raises(InputError, match="neither UTF-8 nor GBK") as error:
        _load(path)
    assert error.value.row == 3


def test_a_quote_never_closed_is_refused_instead_of_swallowing_the_rows_after_it(tmp_path):
    path = tmp_path / "p.csv"
    rows = ["P1,a,5,1,1,x", 'P2,a,5,1,1,"oops', "P3,a,5,1,1,y", "P4,a,5,1,1,z"]
    path.write_text(_csv(rows), encoding="utf-8")
    with pytest.raises(InputError, match="quoted cell opened in this row is never closed") as error:
        _load(path)
    assert error.value.row == 3 and error.value.file == "p.csv"
    path.write_text(_csv(['P1,a,5,1,1,"two\nlines ""quoted"""', 'P2,a,5,1,1,"bare\rCR"']), encoding="utf-8")
    assert _load(path).names == ['twolines "quoted"', "bareCR"]


@pytest.mark.parametrize("closed_on", [3, 4])  # the next row, or two rows further down
def test_a_stray_quote_closed_rows_later_is_refused_instead_of_merging_them(tmp_path, closed_on):
    path = tmp_path / "p.csv"
    rows = ["P1,a,5,1,1,x", 'P2,a,5,1,1,"oops', "P3,a,5,1,1,y", "P4,a,5,1,1,z", "P5,a,5,1,1,w"]
    rows[closed_on - 1] += '"'
    path.write_text(_csv(rows), encoding="utf-8")
    with pytest.raises(InputError, match="runs on over the next") as error:
        _load(path)
    assert error.value.row == 3 and error.value.file == "p.csv"


@pytest.mark.parametrize(
    ("data", "row", "phrase"),
    [
        (_csv(["P1,a,5,1,1,x", "P2,a,5,1,1,y\x00z"]).encode(), 3, "binary data"),
        (_csv(["P1,a,5,1,1,田营"]).encode("utf-16") + b"\x00", 3, "not UTF-16 throughout"),
        (_csv(["P1,a,5,1,1,café"]).encode("latin-1"), 2, "neither UTF-8 nor GBK"),
        (b"", 1, "the table is empty"),
        (("id,zone,land_mu,investment,output,name\nP1,a,5,1,1," + "x" * 200_000).encode(), 2, "field limit"),
    ],
)
def test_unreadable_csv_files_name_the_row(tmp_path, data, row, phrase):
    path = tmp_path / "p.csv"
    path.write_bytes(data)
    with pytest.raises(InputError, match=phrase) as error:
        _load(path)
    assert error.value.row == row


def test_utf16_files_with_their_bom_read(tmp_path):
    for encoding in ("utf-16", "utf-16-be"):
        data = _csv(["P1,a,5,1,1,田营"]).encode(encoding)
        if encoding == "utf-16-be":
            data = b"\xfe\xff" + data
        (tmp_path / "p.csv").write_bytes(data)
        assert _load(tmp_path / "p.csv").names == ["田营"]


# ---------------------------------------------------------------------------- text and figures


@pytest.mark.parametrize("twin", ["P１", "Ｐ1", "P\u200b1", "\ufeffP1", "P1\u00ad", "P\u20601"])
def test_ids_that_look_the_same_are_the_same_project(tmp_path, twin):
    path = tmp_path / "p.csv"
    path.write_text(_csv(["P1,a,5,1,1,x", f"{twin},a,5,1,1,y"]), encoding="utf-8")
    with pytest.raises(InputError, match="used twice"):
        _load(path)


def test_full_width_zone_ids_and_control_characters_in_names(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text(_csv(["P1,ａ|ｂ,5,1,1,na\x07me\x1b", "P2,a,5,1,1,\u202eevil"]), encoding="utf-8")
    projects = _load(path)
    assert projects.zones[0] == ("a", "b") and projects.names == ["name", "evil"]
    assert clean_key("Ｐ－１\u200d") == "P-1"


@pytest.mark.parametrize(
    ("column", "value", "phrase"),
    [
        ("land_mu", "5e-324", "implausibly small"),
        ("land_mu", "0.001", "land_mu must be at least 0.01"),
        ("output", "1e-9", "implausibly small"),
        ("investment", "1e13", "implausibly large"),
    ],
)
def test_implausible_figures_are_refused(tmp_path, column, value, phrase):
    row = {"id": "P1", "zone": "a", "land_mu": "5", "investment": "1", "output": "1", "name": "x"}
    row[column] = value
    path = tmp_path / "p.csv"
    path.write_text(_csv([",".join(row[c] for c in HEADER)]), encoding="utf-8")
    with pytest.raises(InputError, match=phrase) as error:
        _load(path)
    assert error.value.row == 2 and error.value.column == column


# ---------------------------------------------------------------------------- files that are not files


def _scenario_reading(tmp_path: Path, projects: str) -> Path:
    scenario = write_instance(tmp_path / "in", scenario_dict(), [project_row("P1")])
    text = scenario.read_text(encoding="utf-8").replace(
        'projects = "projects.csv"', f'projects = "{projects}"'
    )
    scenario.write_text(text, encoding="utf-8")
    return scenario


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null"])
def test_a_device_is_not_a_projects_table(tmp_path, capsys, device):
    if not os.path.exists(device):
        pytest.skip(f"{device} does not exist here")
    assert main(["check", str(_scenario_reading(tmp_path, device))]) == 2
    assert "not a regular file" in capsys.readouterr().err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path, capsys):
    fifo = tmp_path / "projects.csv"
    os.mkfifo(fifo)
    assert main(["check", str(_scenario_reading(tmp_path, str(fifo)))]) == 2
    assert "not a regular file" in capsys.readouterr().err
    assert main(["run", str(fifo)]) == 2  # as the scenario file too


def test_a_folder_and_a_huge_file_are_refused(tmp_path, capsys):
    assert main(["check", str(_scenario_reading(tmp_path, str(tmp_path)))]) == 2
    assert "not a regular file" in capsys.readouterr().err
    huge = tmp_path / "huge.csv"
    with huge.open("wb") as handle:
        handle.truncate(MAX_TABLE_BYTES + 1)  # sparse: no disk used
    assert main(["check", str(_scenario_reading(tmp_path, str(huge)))]) == 2
    assert "the limit is 512.0 MB" in capsys.readouterr().err


# ---------------------------------------------------------------------------- scenario bounds


def _scenario_text(tmp_path: Path, **replace: str) -> Path:
    path = write_instance(tmp_path / "in", scenario_dict(), [project_row("P1")])
    text = path.read_text(encoding="utf-8")
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "phrase"),
    [
        ("years = 1", "years = 1000000", "years.*at most 50"),
        ("appraisal_years = 1", "appraisal_years = 1000", "appraisal_years.*at most 100"),
        ("appraisal_years = 1", "appraisal_years = 1e12", "appraisal_years.*must be an integer"),
        ("start_year = 2026", "start_year = 99999", "start_year.*at most 2200"),
        ('name = "Zone A"', 'name = "Zone\\u0007A"', "control character"),
        ("discount_rate = 0.0", "discount_rate = 5e-324", "implausibly small"),
    ],
)
def test_scenario_values_out_of_bounds(tmp_path, capsys, old, new, phrase):
    assert main(["check", str(_scenario_text(tmp_path, **{old: new}))]) == 2
    err = capsys.readouterr().err
    assert re.search(phrase, err) and "Traceback" not in err


def test_deeply_nested_toml_is_bad_input_not_a_traceback(tmp_path, capsys):
    path = tmp_path / "deep.toml"
    path.write_text(
        'name = "x"\nprojects = "p.csv"\ndeep = ' + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8"
    )
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert "nest too deeply" in err and "Traceback" not in err
    path.write_text('name = "x"\nprojects = "p.csv"\ndeep = ' + "[" * 40 + "]" * 40 + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="nest too deeply"):
        load_scenario(path)


def test_an_upload_of_a_workbook_is_bounded_too():
    from quota_sim.projects import read_projects_bytes

    book = _book([["P1", "a", 5, 1, 1, "x"]])
    book.active.cell(row=2, column=5000, value="far")
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(InputError, match="GJH2 lies beyond"):
        read_projects_bytes(buffer.getvalue(), "upload.xlsx", ["a"], ["land_mu"])


# ---------------------------------------------------------------------------- the sites table

SITES_HEADER = ["id", "zone", "area_mu", "ready_year", "cropland_mu", "remark"]


def _sites_book(rows: list[list[object]]) -> openpyxl.Workbook:
    return _book(rows, header=SITES_HEADER)


def _load_sites(path: Path):
    from quota_sim.sites import load_sites

    return load_sites(path, ["a", "b"], 2026)


def _scenario_with_sites(tmp_path: Path, sites: Path) -> Path:
    """A scenario whose one project names site S1 of the sites table at ``sites``."""
    scenario = write_instance(tmp_path / "in", scenario_dict(), [project_row("P1", site="S1")],
                              [{"id": "S0", "zone": "a", "area_mu": 50}])
    text = scenario.read_text(encoding="utf-8").replace('sites = "sites.csv"', f'sites = "{sites}"')
    scenario.write_text(text, encoding="utf-8")
    return scenario


def test_the_sites_table_is_the_first_visible_sheet(tmp_path):
    book = _sites_book([["HIDDEN", "a", 50, 2026, 0, ""]])
    book.active.sheet_state = "hidden"
    visible = book.create_sheet("地块")
    visible.append(SITES_HEADER)
    visible.append(["S1", "a", 50, 2026, 10, ""])
    book.save(tmp_path / "s.xlsx")
    assert _load_sites(tmp_path / "s.xlsx").ids == ["S1"]


def test_a_sites_formula_without_a_saved_value_is_refused_naming_the_cell(tmp_path, capsys):
    _sites_book([["S1", "a", 50, 2026, 10, ""], ["S2", "a", "=C2+1", 2026, 0, ""]]).save(tmp_path / "s.xlsx")
    with pytest.raises(InputError, match=r"cell C3 holds a formula without a saved value") as error:
        _load_sites(tmp_path / "s.xlsx")
    assert error.value.file == "s.xlsx"
    assert main(["check", str(_scenario_with_sites(tmp_path, tmp_path / "s.xlsx"))]) == 2
    err = capsys.readouterr().err
    assert "s.xlsx" in err and "C3" in err and "Traceback" not in err
    _with_cached_value(tmp_path / "s.xlsx", "C3", "C2+1", "51")
    assert list(_load_sites(tmp_path / "s.xlsx").area_mu) == [50, 51]


def test_hidden_sites_rows_and_columns_that_are_read_give_a_warning(tmp_path, capsys):
    rows = [["S1", "a", 50, 2026, 10, ""], ["S2", "a", 60, 2026, 0, ""], ["S3", "a", 5, 0, 0, ""]]
    book = _sites_book(rows)
    book.active.row_dimensions[3].hidden = True
    book.active.row_dimensions[4].hidden = True
    book.active.column_dimensions["E"].hidden = True  # cropland_mu: read
    book.active.column_dimensions["F"].hidden = True  # remark: not read, no warning
    book.save(tmp_path / "s.xlsx")
    warnings = _load_sites(tmp_path / "s.xlsx").warnings
    assert any("2 hidden row(s) are read as sites (rows 3, 4)" in w for w in warnings), warnings
    assert any("column 'cropland_mu' is hidden" in w for w in warnings)
    assert not any("remark" in w for w in warnings) and len(warnings) == 2
    scenario = _scenario_with_sites(tmp_path, tmp_path / "s.xlsx")
    assert main(["check", str(scenario)]) == 0
    out = capsys.readouterr().out
    assert "warning: s.xlsx: 2 hidden row(s) are read as sites" in out and "cropland_mu" in out
    assert main(["run", str(scenario), "--no-analysis", "--out", str(tmp_path / "out")]) == 0
    assert "read as sites" in capsys.readouterr().err


def test_a_sites_cell_far_to_the_right_is_refused(tmp_path):
    book = _sites_book([["S1", "a", 50, 2026, 10, ""]])
    book.active.cell(row=2, column=16384, value="stray")
    book.save(tmp_path / "s.xlsx")
    with pytest.raises(InputError, match="XFD2 lies beyond column ALL") as error:
        _load_sites(tmp_path / "s.xlsx")
    assert error.value.row == 2


def test_a_sites_csv_mixing_encodings_is_refused_naming_the_row(tmp_path):
    path = tmp_path / "s.csv"
    text = "id,zone,area_mu,name\nS1,a,50,城南一号\n"
    path.write_bytes(text.encode("utf-8") + "S2,a,50,城北二号\n".encode("gbk"))
    with pytest.raises(InputError, match="mixes text encodings") as error:
        _load_sites(path)
    assert error.value.row == 3 and error.value.file == "s.csv"


@pytest.mark.parametrize("twin", ["S１", "Ｓ1", "S\u200b1"])
def test_site_ids_are_compared_after_nfkc(tmp_path, twin):
    path = tmp_path / "s.csv"
    path.write_text(f"id,zone,area_mu\nS1,a,50\n{twin},a,50\n", encoding="utf-8")
    with pytest.raises(InputError, match="used twice") as error:
        _load_sites(path)
    assert error.value.row == 3
    path.write_text(f"id,zone,area_mu\n{twin},ａ,50\n", encoding="utf-8")
    sites = _load_sites(path)
    assert sites.ids == ["S1"] and sites.zones == ["a"]


@pytest.mark.parametrize(("value", "phrase"), [("5e-324", "implausibly small"), ("1e13", "implausibly large"),
                                               ("nan", "not a finite number")])
def test_implausible_site_areas_are_refused(tmp_path, value, phrase):
    path = tmp_path / "s.csv"
    path.write_text(f"id,zone,area_mu\nS1,a,{value}\n", encoding="utf-8")
    with pytest.raises(InputError, match=phrase) as error:
        _load_sites(path)
    assert (error.value.row, error.value.column) == (2, "area_mu")


def test_a_device_is_not_a_sites_table(tmp_path, capsys):
    assert main(["check", str(_scenario_with_sites(tmp_path, Path("/dev/zero")))]) == 2
    assert "sites file is not a regular file" in capsys.readouterr().err
