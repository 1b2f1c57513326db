"""Many scenarios at once: local worker processes or a Dask cluster, resumable.

Each member of a batch is shipped to a worker as data: its merged scenario dictionary
and the bytes of its projects table. The worker solves it in a private temporary
directory and sends back every output file, which this process writes into
``DIR/<scenario name>/``. Workers therefore need quota-sim installed, but no shared
storage. A member is complete when ``DIR/<name>/inputs.sha256``, written after all its
outputs, holds the hash of its current inputs; complete members are not solved again
unless ``force`` is set.

Exit code of a batch: 0 when every member solved (optimal or feasible); otherwise the
code of the worst member, worst first: 2 bad input, 3 no solution or solver failure,
1 infeasible.
"""

from __future__ import annotations

import glob
import hashlib
import io
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook

import quota_sim
from quota_sim.cells import csv_bytes, neutralise_row
from quota_sim.codes import exit_code_of, worst_exit_code
from quota_sim.errors import InputError
from quota_sim.input_files import read_input_file
from quota_sim.interrupts import TimeUp
from quota_sim.output_set import OutputSet, read_manifest, read_trusted
from quota_sim.scenario import load_scenario
from quota_sim.workers import run_isolated

HASH_FILE = "inputs.sha256"
SUMMARY_FILE = "summary.json"
COMPARISON_CSV = "comparison.csv"
COMPARISON_XLSX = "comparison.xlsx"

_GLOB_CHARACTERS = frozenset("*?[")


@dataclass(frozen=True)
class RunOptions:
    """Options of every member's run, as on the command line.

    Solver options left at ``None`` keep each scenario's own ``[solver]`` values;
    ``analyses`` and ``importance`` are those of ``quota-sim run`` (``--no-analysis``,
    ``--importance N``).
    """

    time_limit: float | None = None  # seconds
    gap: float | None = None  # relative MIP gap
    solver: str | None = None  # "highs" or "cbc"
    analyses: bool = True
    importance: int = 0  # replacement cost of the N most valuable approvals


@dataclass(frozen=True)
class MemberJob:
    """Everything a worker needs to solve one member, with no access to our files."""

    name: str
    scenario_file: str  # for messages
    raw: dict[str, Any]  # merged scenario dictionary
    projects_name: str  # file name of the projects table (its suffix selects CSV or XLSX)
    projects_file: str  # the original projects path, for messages
    projects_bytes: bytes
    options: RunOptions


@dataclass
class MemberOutcome:
    """How one member ended.

    ``status`` is a solver status from ``summary.json`` or ``bad_input`` / ``error``;
    ``files`` holds the output files (name -> bytes) of a member solved just now, and
    ``computed`` is False for a member taken from an earlier run.
    """

    name: str
    scenario_file: str
    status: str
    exit_code: int
    summary: dict[str, Any] | None = None
    error: str = ""
    files: dict[str, bytes] = field(default_factory=dict, repr=False)
    computed: bool = True
    quotas: tuple[str, ...] = ()


@dataclass
class BatchReport:
    """The outcome of a batch: members in input order, the exit code and the comparison files."""

    outcomes: list[MemberOutcome]
    exit_code: int
    comparison_csv: Path
    comparison_xlsx: Path
    seconds: float

    def counts(self) -> dict[str, int]:
        """Number of members per status."""
        counts: dict[str, int] = {}
        for outcome in self.outcomes:
            counts[outcome.status] = counts.get(outcome.status, 0) + 1
        return counts


@dataclass
class _Member:
    """A member as prepared by this process: a job to run, or a failure found while loading."""

    name: str
    scenario_file: str
    job: MemberJob | None
    digest: str
    quotas: tuple[str, ...]
    failure: MemberOutcome | None = None


# ---------------------------------------------------------------------------- inputs


def collect_scenario_files(arguments: Sequence[str]) -> list[Path]:
    """Expand files, glob patterns and directories (their ``*.toml``) into scenario files.

    Patterns are expanded here (``**`` included), so quoting them on the shell works.
    Files appear once, in argument order; each pattern and directory is sorted by name.

    Raises
    ------
    InputError
        If a file does not exist, or a pattern or directory matches no TOML file.
    """
    files: list[Path] = []
    for argument in arguments:
        path = Path(argument)
        if path.is_dir():
            found = sorted(p for p in path.glob("*.toml") if p.is_file())
            if not found:
                raise InputError("no *.toml scenario in this directory", file=argument)
        elif _GLOB_CHARACTERS & set(argument):
            found = sorted(Path(p) for p in glob.glob(argument, recursive=True) if Path(p).is_file())
            if not found:
                raise InputError("no scenario file matches this pattern", file=argument)
        elif path.is_file():
            found = [path]
        else:
            raise InputError("scenario file not found", file=argument)
        files.extend(found)
    unique: dict[Path, Path] = {}
    for file in files:
        unique.setdefault(file.resolve(), file)
    return list(unique.values())


def inputs_digest(raw: dict[str, Any], projects_bytes: bytes, options: RunOptions) -> str:
    """SHA-256 of a member's inputs.

    Covers the merged scenario dictionary (without the ``projects`` path and ``extends``,
    so moving files does not count as a change), the projects table's bytes, the
    run options and the quota-sim version.
    """
    scenario = {k: v for k, v in raw.items() if k not in ("projects", "extends")}
    header = json.dumps(
        {"quota_sim": quota_sim.__version__, "scenario": scenario, "options": asdict(options)},
        sort_keys=True,
        default=str,
        ensure_ascii=False,
    )
    digest = hashlib.sha256(header.encode("utf-8"))
    digest.update(b"\0")
    digest.update(projects_bytes)
    return digest.hexdigest()


def _prepare(path: Path, options: RunOptions) -> _Member:
    label = str(path)
    try:
        scenario = load_scenario(path)
        projects_path = Path(scenario.projects_path)
        projects_bytes = read_input_file(projects_path, "projects file")
    except InputError as error:
        failure = MemberOutcome(path.stem, label, "bad_input", 2, error=str(error), computed=False)
        return _Member(path.stem, label, None, "", (), failure)
    raw = dict(scenario.raw)
    job = MemberJob(
        name=scenario.name,
        scenario_file=label,
        raw=raw,
        projects_name=projects_path.name,
        projects_file=str(projects_path),
        projects_bytes=projects_bytes,
        options=options,
    )
    quotas = tuple(quota.id for quota in scenario.quotas)
    return _Member(scenario.name, label, job, inputs_digest(raw, projects_bytes, options), quotas)


def prepare_members(files: Sequence[Path], options: RunOptions) -> list[_Member]:
    """Load every scenario; a file that does not load becomes a ``bad_input`` member.

    Raises
    ------
    InputError
        If two scenarios share a name (their outputs would overwrite each other).
    """
    members = [_prepare(path, options) for path in files]
    first_file: dict[str, str] = {}
    for member in members:
        if member.job is None:
            continue
        if member.name in first_file:
            raise InputError(
                f"scenario name '{member.name}' is also used by {first_file[member.name]}; "
                "names must be unique in a batch",
                file=member.scenario_file,
                column="name",
            )
        first_file[member.name] = member.scenario_file
    return members


# ---------------------------------------------------------------------------- worker


def solve_member(job: MemberJob) -> MemberOutcome:
    """Solve one member in a private temporary directory and return its output files.

    Runs in a worker process (local or on a Dask worker), which is one core's worth of work:
    the analyses' re-solves run one after another in it (``jobs=1``). Bad input becomes a
    ``bad_input`` outcome; any other exception (a solver crash) an ``error`` outcome,
    so that one member cannot stop the batch.
    """
    from quota_sim.pipeline import run_and_write
    from quota_sim.scenario import scenario_from_dict

    with tempfile.TemporaryDirectory(prefix="quota-sim-batch-") as temporary:
        work = Path(temporary)
        inputs = work / "inputs"
        inputs.mkdir()
        projects = inputs / job.projects_name
        projects.write_bytes(job.projects_bytes)
        raw = {k: v for k, v in job.raw.items() if k != "extends"}
        raw["projects"] = job.projects_name
        out = work / "out"
        try:
            scenario = scenario_from_dict(raw, inputs, job.scenario_file)
            result = run_and_write(
                scenario,
                out,
                time_limit=job.options.time_limit,
                gap=job.options.gap,
                solver=job.options.solver,
                analyses=job.options.analyses,
                importance_top=job.options.importance,
                jobs=1,
            )
        except InputError as error:
            if error.file is not None and Path(error.file).resolve() == projects.resolve():
                error.file = job.projects_file
            return MemberOutcome(job.name, job.scenario_file, "bad_input", 2, error=str(error))
        except TimeUp as error:
            return MemberOutcome(job.name, job.scenario_file, "no_solution", 3, error=str(error))
        except Exception as error:
            message = f"solver failure: {type(error).__name__}: {error}"
            return MemberOutcome(job.name, job.scenario_file, "error", 3, error=message)
        summary = result.summary()
        files = {name: (out / name).read_bytes() for name in sorted(read_manifest(out, "run") or ())}
    return MemberOutcome(
        job.name,
        job.scenario_file,
        summary["status"],
        exit_code_of(result.status),
        summary=summary,
        files=files,
    )


# ---------------------------------------------------------------------------- member directories


def _completed_outcome(member: _Member, member_dir: Path) -> MemberOutcome | None:
    """The outcome stored by an earlier run, if it was complete and its inputs are unchanged.

    Only files the member folder's manifest lists with their current contents are trusted."""
    stored = read_trusted(member_dir, "run", HASH_FILE)
    summary_bytes = read_trusted(member_dir, "run", SUMMARY_FILE)
    if stored is None or summary_bytes is None or stored.decode("ascii", "replace").strip() != member.digest:
        return None
    try:
        summary = json.loads(summary_bytes)
        status = summary["status"]
    except (ValueError, KeyError, TypeError):
        return None
    return MemberOutcome(
        member.name,
        member.scenario_file,
        status,
        exit_code_of(status),
        summary=summary,
        computed=False,
        quotas=member.quotas,
    )


def _member_names() -> tuple[str, ...]:
    from quota_sim.export import OUTPUT_FILES

    return (*OUTPUT_FILES, HASH_FILE)


def _open_member_dir(member: _Member, member_dir: Path) -> MemberOutcome | None:
    """Check a member's folder before solving; a folder it may not write makes it a bad_input member.

    The folder may hold the user's own files (even the member's inputs): they are left alone, and a
    member whose outputs would overwrite one of them is not solved."""
    inputs = [member.job.projects_file] if member.job is not None else []
    try:
        OutputSet.open(member_dir, "run", names=_member_names(), inputs=[member.scenario_file, *inputs],
                       refuse_input_folder=False).discard()
    except InputError as error:
        return MemberOutcome(member.name, member.scenario_file, "bad_input", 2, error=str(error),
                             computed=False, quotas=member.quotas)
    return None


def _store(outcome: MemberOutcome, member_dir: Path, digest: str) -> None:
    """Put a solved member's files and its inputs' hash into its folder as one set; files an earlier
    run wrote there and this one does not produce are removed, nothing else is touched."""
    if not outcome.files:
        return
    files = {**outcome.files, HASH_FILE: (digest + "\n").encode("ascii")}
    try:
        with OutputSet.open(member_dir, "run", names=files, refuse_input_folder=False) as outputs:
            outputs.commit(files)
    except (InputError, OSError) as error:
        outcome.status, outcome.exit_code = "error", 3
        outcome.error = f"outputs not written: {error}"
    outcome.files = {}


# ---------------------------------------------------------------------------- execution


def _run_local(jobs: list[MemberJob], workers: int, member_timeout: float | None) -> Iterator[MemberOutcome]:
    """Solve ``jobs``, ``workers`` at a time, each in its own process (:func:`run_isolated`): a member
    that crashes, is killed or runs past ``member_timeout`` seconds fails alone."""
    return run_isolated(jobs, solve_member, _worker_failure, workers=workers, timeout=member_timeout)


def solve_member_isolated(job: MemberJob, member_timeout: float | None) -> MemberOutcome:
    """:func:`solve_member` in a child process of this one (a Dask worker): a member that crashes, is
    killed or runs past ``member_timeout`` seconds fails alone, and the worker goes on. When the batch
    stops waiting for it (Ctrl-C, SIGTERM, its client gone: the task is cancelled), the child is
    stopped too."""
    outcomes = list(run_isolated(
        [job], solve_member, _worker_failure, workers=1, timeout=member_timeout, abandoned=_task_abandoned
    ))
    return outcomes[0] if outcomes else _worker_failure(job, "stopped: the batch no longer waits for it")


def _task_abandoned() -> bool:
    """Whether the Dask task running in this thread was cancelled or released by the scheduler."""
    from distributed import get_worker
    from distributed.worker import thread_state

    try:
        task = get_worker().state.tasks.get(thread_state.key)
    except (AttributeError, ValueError):  # not in a Dask task: nothing can abandon it
        return False
    return task is None or task.state in ("cancelled", "released", "forgotten")


def _run_dask(jobs: list[MemberJob], address: str, member_timeout: float | None) -> Iterator[MemberOutcome]:
    """Solve ``jobs`` on the Dask cluster whose scheduler is at ``address``, each member in a process of
    its own on a worker (:func:`solve_member_isolated`)."""
    try:
        from distributed import Client
        from distributed import as_completed as dask_as_completed
    except ImportError as error:
        raise InputError(
            "the --scheduler option needs dask.distributed: pip install 'quota-sim[batch]'",
            column="--scheduler",
        ) from error
    with Client(address) as client:
        futures = {client.submit(solve_member_isolated, job, member_timeout, pure=False): job for job in jobs}
        try:
            for future in dask_as_completed(futures):
                job = futures[future]
                try:
                    yield future.result()
                except Exception as error:
                    yield _worker_failure(job, f"{type(error).__name__}: {error}")
        finally:
            client.cancel(list(futures))


def _worker_failure(job: MemberJob, reason: str) -> MemberOutcome:
    return MemberOutcome(job.name, job.scenario_file, "error", 3, error=f"worker failure: {reason}")


def batch_exit_code(outcomes: Iterable[MemberOutcome]) -> int:
    """0 when every member solved, else the worst member's code (2, then 3, then 1)."""
    return worst_exit_code(outcome.exit_code for outcome in outcomes)


def run_batch(
    scenarios: Sequence[str | Path],
    out_dir: str | Path,
    *,
    jobs: int | None = None,
    scheduler: str | None = None,
    force: bool = False,
    options: RunOptions | None = None,
    progress: bool = False,
    on_outcome: Callable[[MemberOutcome], None] | None = None,
    member_timeout: float | None = None,
) -> BatchReport:
    """Solve many scenarios and write their outputs and the comparison table.

    Parameters
    ----------
    scenarios
        Scenario files, glob patterns or directories (see :func:`collect_scenario_files`).
    out_dir
        Each member's outputs go to ``out_dir/<name>/``; ``comparison.csv`` and
        ``comparison.xlsx`` to ``out_dir``.
    jobs
        Local worker processes (default: all cores); ignored with ``scheduler``.
    scheduler
        Address of a Dask scheduler (``tcp://host:8786``); members then run on its workers.
    force
        Solve every member again, even those complete with unchanged inputs.
    options
        Solver options overriding every scenario's own, and which analyses to run.
    progress
        Show a progress bar on stderr.
    on_outcome
        Called with each outcome as it is known (taken from an earlier run or just solved).
    member_timeout
        Wall-clock seconds a member may take (on local workers or a Dask cluster's); past them it is
        stopped and fails alone, as does a member whose process crashes or is killed.

    Raises
    ------
    InputError
        Before anything runs: a missing file, a pattern matching nothing, duplicate names.
    """
    started = time.perf_counter()
    options = options or RunOptions()
    out = Path(out_dir)
    members = prepare_members(collect_scenario_files([str(s) for s in scenarios]), options)
    _open_comparison(out).discard()  # the batch folder is checked before anything is solved
    outcomes: dict[int, MemberOutcome] = {}
    pending: list[int] = []
    for index, member in enumerate(members):
        if member.failure is not None:
            outcomes[index] = member.failure
        elif not force and (done := _completed_outcome(member, out / member.name)) is not None:
            outcomes[index] = done
        else:
            pending.append(index)
    bar = _progress_bar(len(members), progress)
    try:
        for outcome in outcomes.values():
            _announce(outcome, bar, on_outcome)
        if pending:
            out.mkdir(parents=True, exist_ok=True)
            for index in list(pending):
                refused = _open_member_dir(members[index], out / members[index].name)
                if refused is not None:
                    outcomes[index] = refused
                    pending.remove(index)
                    _announce(refused, bar, on_outcome)
            index_of = {members[i].name: i for i in pending}
            job_list = [members[i].job for i in pending if members[i].job is not None]
            if not job_list:
                stream: Iterable[MemberOutcome] = ()
            elif scheduler:
                stream = _run_dask(job_list, scheduler, member_timeout)
            else:
                workers = max(1, min(jobs or os.cpu_count() or 1, len(job_list)))
                stream = _run_local(job_list, workers, member_timeout)
            for outcome in stream:
                member = members[index_of[outcome.name]]
                outcome.quotas = member.quotas
                _store(outcome, out / member.name, member.digest)
                outcomes[index_of[outcome.name]] = outcome
                _announce(outcome, bar, on_outcome)
    finally:
        if bar is not None:
            bar.close()
    ordered = [outcomes[i] for i in range(len(members))]
    csv_path, xlsx_path = write_comparison(ordered, out)
    return BatchReport(ordered, batch_exit_code(ordered), csv_path, xlsx_path, time.perf_counter() - started)


def _progress_bar(total: int, enabled: bool) -> Any:
    if not enabled:
        return None
    from tqdm import tqdm

    tqdm.monitor_interval = 0  # no monitor thread: members are forked from this process
    return tqdm(total=total, unit="scenario", file=sys.stderr, dynamic_ncols=True)


def _announce(outcome: MemberOutcome, bar: Any, on_outcome: Callable[[MemberOutcome], None] | None) -> None:
    if bar is not None:
        bar.set_postfix_str(f"{outcome.name}: {outcome.status}", refresh=False)
        bar.update(1)
    if on_outcome is not None:
        on_outcome(outcome)


# ---------------------------------------------------------------------------- comparison


def comparison_rows(outcomes: Sequence[MemberOutcome]) -> tuple[list[str], list[list[Any]]]:
    """The comparison table: header and one row per member.

    Columns: ``name, file, status, gap, objective, approved``, ``<quota>_used`` for every
    quota of any member (in order of first appearance), ``output, tax, investment``
    (万元), ``seconds`` (total) and ``error``. Missing figures are ``None``.
    """
    from quota_sim.results import quota_used_key

    quota_ids: list[str] = []
    for outcome in outcomes:
        for quota in outcome.quotas:
            if quota not in quota_ids:
                quota_ids.append(quota)
    header = (
        ["name", "file", "status", "gap", "objective", "approved"]
        + [f"{quota}_used" for quota in quota_ids]
        + ["output", "tax", "investment", "seconds", "error"]
    )
    rows = []
    for outcome in outcomes:
        summary = outcome.summary or {}
        kpi = summary.get("kpi") or {}
        seconds = summary.get("seconds") or {}
        rows.append(
            [
                outcome.name,
                outcome.scenario_file,
                outcome.status,
                summary.get("gap"),
                summary.get("objective"),
                kpi.get("approved"),
            ]
            + [kpi.get(quota_used_key(quota)) for quota in quota_ids]
            + [kpi.get("output"), kpi.get("tax"), kpi.get("investment"), seconds.get("total"), outcome.error]
        )
    return header, rows


def write_comparison(outcomes: Sequence[MemberOutcome], out_dir: Path) -> tuple[Path, Path]:
    """Write ``comparison.csv`` and ``comparison.xlsx`` (sheet ``comparison``) as one set."""
    header, rows = comparison_rows(outcomes)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "comparison"
    sheet.append(neutralise_row(header))
    for row in rows:
        sheet.append(neutralise_row(row))
    sheet.freeze_panes = "B2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    with _open_comparison(out_dir) as outputs:
        csv_path, xlsx_path = outputs.commit(
            {COMPARISON_CSV: csv_bytes(header, rows), COMPARISON_XLSX: buffer.getvalue()}
        )
    return csv_path, xlsx_path


def _open_comparison(out_dir: Path) -> OutputSet:
    """The batch folder's own files (the comparison), checked like every output folder."""
    return OutputSet.open(
        out_dir, "batch", names=(COMPARISON_CSV, COMPARISON_XLSX), refuse_input_folder=False
    )
