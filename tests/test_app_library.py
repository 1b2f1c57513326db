"""The app's scenario library (SQLite, shared by every session of a server) and its analysis jobs."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest

from quota_sim.analysis import enrich
from quota_sim.app.analysis_job import STEPS, AnalysisJob
from quota_sim.app.library import (
    DATA_ENV,
    Library,
    NameTaken,
    Setting,
    data_folder,
    remove_old_pinned_queues,
    upload_key,
)
from quota_sim.app_state import scenario_from_toml
from quota_sim.generate import write_generated
from quota_sim.pipeline import solve_scenario
from quota_sim.scenario import load_scenario, scenario_to_toml
from quota_sim.upload_store import MAX_UPLOAD_BYTES


def setting(plan: float) -> Setting:
    return Setting("baseline.toml", None, {"plan_land": plan}, [])


def test_a_setting_survives_a_new_connection_and_is_found_by_its_id(tmp_path: Path) -> None:
    first = Library(tmp_path / "library.sqlite3")
    setting_id = first.put(setting(900), "name = 'x'", {"figures": {"approved": 80}})
    assert setting_id == setting(900).id and len(setting_id) == 16
    assert setting(900).id != setting(910).id
    again = Library(tmp_path / "library.sqlite3").get(setting_id)
    assert again.setting == setting(900) and again.snapshot == {"figures": {"approved": 80}}
    assert again.name is None
    assert Library(tmp_path / "library.sqlite3").get("0" * 16) is None


def test_names_are_unique_and_a_taken_name_is_replaced_only_when_asked(tmp_path: Path) -> None:
    shelf = Library(tmp_path / "library.sqlite3")
    a, b = shelf.put(setting(900), "a"), shelf.put(setting(1200), "b")
    shelf.name(a, "方案")
    with pytest.raises(NameTaken):
        shelf.name(b, "方案")
    assert [e.id for e in shelf.named()] == [a]
    shelf.name(b, "方案", replace=True)
    assert [(e.id, e.name) for e in shelf.named()] == [(b, "方案")]
    shelf.unname("方案")
    assert shelf.named() == [] and shelf.get(b) is not None  # its URL still works
    shelf.put(setting(900), "a again")
    assert shelf.get(a).toml == "a again"


def test_the_data_folder_is_configurable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(DATA_ENV, str(tmp_path / "d"))
    assert data_folder() == tmp_path / "d"
    monkeypatch.delenv(DATA_ENV)
    assert data_folder().name == "quota-sim"


@pytest.fixture()
def small_toml(tmp_path: Path) -> str:
    toml_path = write_generated(tmp_path, "small", 12, 2, 2, seed=3, start_year=2026)
    return scenario_to_toml(load_scenario(toml_path))


def test_an_analysis_job_sends_every_step(small_toml: str) -> None:
    job = AnalysisJob(solve_scenario(scenario_from_toml(small_toml)), list(STEPS))
    parts: dict = {}
    deadline = time.monotonic() + 120
    try:
        while job.alive and time.monotonic() < deadline:
            parts.update(job.poll())
            time.sleep(0.05)
        parts.update(job.poll())
    finally:
        job.stop()
    assert set(parts) == set(STEPS)
    assert parts["marginal"]["marginal_values"] and "fcfs" in parts["baselines"]["baselines"]


def test_a_stopped_job_leaves_no_process(small_toml: str) -> None:
    job = AnalysisJob(solve_scenario(scenario_from_toml(small_toml)), list(STEPS))
    process = job._process
    job.stop()
    assert not process.is_alive()


def test_an_uploaded_queue_is_kept_for_its_links_within_a_bound(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from quota_sim.app import library as library_module

    shelf = Library(tmp_path / "library.sqlite3")
    key = upload_key(tmp_path / "store" / ("a" * 24) / "队列.csv")
    assert key == "a" * 24 + "/队列.csv"
    shelf.keep_upload(key, b"id,zone\n")
    assert Library(tmp_path / "library.sqlite3").upload(key) == b"id,zone\n"  # as after a restart
    assert shelf.upload("b" * 24 + "/x.csv") is None
    # Past the bound the uploads used longest ago go first, unless a saved setting names them.
    monkeypatch.setattr(library_module, "MAX_STORED_UPLOAD_BYTES", 25)
    saved = Setting("baseline.toml", key, {"plan_land": 900}, [])
    shelf.name(shelf.put(saved, "x"), "kept")
    shelf.keep_upload("c/old.csv", b"0123456789")
    shelf.keep_upload("d/new.csv", b"0123456789")
    assert shelf.upload("c/old.csv") is None
    assert shelf.upload(key) == b"id,zone\n" and shelf.upload("d/new.csv") == b"0123456789"
    shelf.keep_upload("e/huge.csv", b"x" * (MAX_UPLOAD_BYTES + 1))
    assert shelf.upload("e/huge.csv") is None


def test_only_the_pinned_queues_the_app_wrote_are_removed(tmp_path: Path) -> None:
    queues = tmp_path / "queues"
    queues.mkdir()
    table = b"id,zone\nP1,a\n"
    made = queues / f"projects-{hashlib.sha256(table).hexdigest()[:16]}.csv"
    made.write_bytes(table)
    edited = queues / f"projects-{hashlib.sha256(b'other').hexdigest()[:16]}.csv"
    edited.write_bytes(b"a planner's own edit")  # the name of an app file, not its content
    own = queues / "mine.csv"
    own.write_bytes(table)
    assert remove_old_pinned_queues(queues) == [made]
    assert not made.exists() and edited.exists() and own.exists()
    edited.unlink()
    own.unlink()
    assert remove_old_pinned_queues(queues) == [] and not queues.exists()
    assert remove_old_pinned_queues(tmp_path / "absent") == []


def test_a_solved_result_reads_back_exactly_and_only_for_the_same_code(
    small_toml: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from quota_sim.app import stored_results
    from quota_sim.app.stored_results import result_from_json, result_json, result_key

    result = solve_scenario(scenario_from_toml(small_toml))
    enrich(result, marginal=False, baselines=False, importance_top=0)
    text = result_json(result)
    assert text is not None
    back = result_from_json(text, small_toml)
    for name in ("status", "objective", "gap", "allocation", "quota_use", "site_use", "kpi", "extras"):
        assert getattr(back, name) == getattr(result, name), name
    assert back.projects.ids == result.projects.ids and back.scenario.raw == result.scenario.raw
    # JSON would change a tuple into a list: such a result is not kept
    result.extras["odd"] = (1, 2)
    assert result_json(result) is None
    # another program (or solver version) never reads this one's results
    key = result_key(small_toml)
    monkeypatch.setattr(stored_results, "code_fingerprint", lambda: "0" * 16)
    assert result_key(small_toml) != key


def test_the_library_keeps_the_results_used_last(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from quota_sim.app import library as library_module

    monkeypatch.setattr(library_module, "MAX_STORED_RESULTS", 2)
    shelf = Library(tmp_path / "library.sqlite3")
    for key in ("a", "b"):
        shelf.keep_result(key, f'{{"k": "{key}"}}')
    assert shelf.result("a") == '{"k": "a"}'  # now used after b
    shelf.keep_result("c", "{}")
    assert shelf.result("b") is None and Library(tmp_path / "library.sqlite3").result("a") is not None
