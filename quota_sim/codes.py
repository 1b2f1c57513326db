"""The small vocabularies shared by the command line, the library and the outputs.

Kept free of heavy imports so that ``quota-sim --help`` stays fast.
"""

from __future__ import annotations

from collections.abc import Iterable

#: MILP solvers a scenario or ``--solver`` may name (SCIP needs the ``scip`` extra).
SOLVER_NAMES = ("highs", "cbc", "scip")

#: Exit codes of SPEC §3.
EXIT_SOLVED = 0  # optimal or feasible
EXIT_INFEASIBLE = 1  # the diagnosis is written
EXIT_BAD_INPUT = 2  # one message on stderr, nothing written
EXIT_NO_SOLUTION = 3  # no solution within the limits, or a solver failure
EXIT_INTERRUPTED = 130  # Ctrl-C, as a shell reports SIGINT

#: Exit code of each run status (a batch member may also end as ``bad_input`` or ``error``).
STATUS_EXIT_CODES = {
    "optimal": EXIT_SOLVED,
    "feasible": EXIT_SOLVED,
    "infeasible": EXIT_INFEASIBLE,
    "no_solution": EXIT_NO_SOLUTION,
    "bad_input": EXIT_BAD_INPUT,
    "error": EXIT_NO_SOLUTION,
}

#: Worst first: the code reported when several runs of one command fail differently.
EXIT_SEVERITY = (EXIT_BAD_INPUT, EXIT_NO_SOLUTION, EXIT_INFEASIBLE)


def exit_code_of(status: str) -> int:
    """The exit code of a run that ended with ``status`` (an unknown status counts as a failure)."""
    return STATUS_EXIT_CODES.get(status, EXIT_NO_SOLUTION)


def worst_exit_code(codes: Iterable[int]) -> int:
    """0 when every code is 0, else the worst of them by :data:`EXIT_SEVERITY`."""
    present = set(codes)
    return next((code for code in EXIT_SEVERITY if code in present), EXIT_SOLVED)
