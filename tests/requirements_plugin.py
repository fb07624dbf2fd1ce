"""Requirement coverage for the test suite.

Tests cite the requirements of ``docs/requirements.md`` with a marker::

    @pytest.mark.requirement("R-ORD-3")
    @pytest.mark.requirement("R-SEC-2", "R-ORD-4")
    def test_something(): ...

Loaded with ``-p tests.requirements_plugin`` (see ``addopts`` in pyproject.toml), the plugin

* refuses, at collection, a marker naming an ID that ``docs/requirements.md`` does not list
  (typo protection): the module is reported as a collection error, so the run stops before any
  test runs (exit code 2), also under pytest-xdist and whatever ``-k``/``-m`` select;
* stores each test's IDs in ``item.user_properties`` as ``("requirements", "R-A-1,R-B-2")``,
  so the IDs travel with the test reports (pytest-xdist workers, junitxml);
* counts per ID the tests that passed and that failed (a failure in setup, call or teardown
  counts as failed; skipped and xfailed tests count as neither);
* prints a table of every ID of ``docs/requirements.md`` in the terminal summary and writes
  ``build/requirements.txt``: one line ``R-XXX-N passed=P failed=F`` per ID, in document order.
  Only a full run (the whole of ``testpaths``, no ``-k``/``-m``, nothing deselected) writes
  that file: a partial run writes ``build/requirements-partial.txt`` instead and says so, so
  running one module never makes the coverage look lost.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

MARKER = "requirement"
PROPERTY = "requirements"
REQUIREMENTS_DOC = Path("docs") / "requirements.md"
REPORT_FILE = Path("build") / "requirements.txt"
PARTIAL_REPORT_FILE = Path("build") / "requirements-partial.txt"
ID_PATTERN = re.compile(r"R-[A-Z0-9]+-\d+")
_PLUGIN_NAME = "requirements-tracker"


def read_requirement_ids(path: Path) -> list[str]:
    """The requirement IDs of ``path`` in order of first appearance."""
    seen: dict[str, None] = {}
    for match in ID_PATTERN.finditer(path.read_text(encoding="utf-8")):
        seen.setdefault(match.group(0), None)
    return list(seen)


def _marker_ids(item: pytest.Item) -> tuple[list[str], list[str]]:
    """(valid-looking IDs, problems) of every ``requirement`` marker on ``item``."""
    ids: list[str] = []
    problems: list[str] = []
    for mark in item.iter_markers(name=MARKER):
        if mark.kwargs:
            problems.append(f"keyword arguments are not allowed: {mark.kwargs!r}")
        values: list[object] = []
        for arg in mark.args:
            if isinstance(arg, (list, tuple, set, frozenset)):
                values.extend(arg)
            else:
                values.append(arg)
        if not values:
            problems.append("marker without any requirement ID")
        for value in values:
            if not isinstance(value, str):
                problems.append(f"{value!r} is not a string")
                continue
            for part in re.split(r"[\s,]+", value.strip()):
                if part and part not in ids:
                    ids.append(part)
    return ids, problems


@dataclass
class _Outcome:
    requirements: tuple[str, ...]
    passed: bool = False
    failed: bool = False


@dataclass(eq=False)
class RequirementsTracker:
    config: pytest.Config
    doc_path: Path
    known: list[str]
    outcomes: dict[str, _Outcome] = field(default_factory=dict)
    collection_failed: bool = False
    deselected: int = 0

    def __post_init__(self) -> None:
        self._known_set = frozenset(self.known)

    # -- collection ---------------------------------------------------------------------------

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(self, collector: pytest.Collector):
        # Turns the collection of a module (or class) whose tests cite unknown IDs into a
        # collection error: pytest stops before running anything, whatever -k/-m select, and
        # pytest-xdist workers report it like any other collection error.
        report = yield
        if report.passed:
            errors = []
            for node in report.result:
                if isinstance(node, pytest.Item):
                    errors.extend(self._problems(node))
            if errors:
                report.outcome = "failed"
                report.longrepr = (
                    f"@pytest.mark.requirement: only IDs listed in {REQUIREMENTS_DOC.as_posix()} "
                    "are allowed\n" + "\n".join(dict.fromkeys(errors))
                )
        return report

    def _problems(self, item: pytest.Item) -> list[str]:
        ids, problems = _marker_ids(item)
        unknown = [i for i in ids if i not in self._known_set]
        if unknown:
            problems.append(f"unknown requirement ID(s) {', '.join(unknown)}")
        # One line per test function, not per parametrized case.
        nodeid = item.nodeid.split("[", 1)[0]
        return [f"{nodeid}: {problem}" for problem in problems]

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        # Also called on the pytest-xdist controller for a worker's collection error.
        if report.failed:
            self.collection_failed = True

    def pytest_deselected(self, items) -> None:
        self.deselected += len(items)

    def is_full_run(self) -> bool:
        """Every test of the project ran: the whole testpaths (or root), no -k or -m."""
        config = self.config
        if config.option.keyword or config.option.markexpr or self.deselected:
            return False
        roots = {config.rootpath.resolve()} | {
            (config.rootpath / path).resolve() for path in config.getini("testpaths")
        }
        invoked = config.invocation_params.dir
        return all((invoked / arg.split("::")[0]).resolve() in roots for arg in config.args)

    def report_file(self) -> Path:
        return REPORT_FILE if self.is_full_run() else PARTIAL_REPORT_FILE

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            ids = [i for i in _marker_ids(item)[0] if i in self._known_set]
            if ids and not any(name == PROPERTY for name, _ in item.user_properties):
                item.user_properties.append((PROPERTY, ",".join(ids)))

    # -- results ------------------------------------------------------------------------------

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # Uses the report, not the item, so it also works on the pytest-xdist controller.
        requirements = _ids_from_properties(report.user_properties)
        if not requirements:
            return
        outcome = self.outcomes.setdefault(report.nodeid, _Outcome(requirements))
        if report.failed:
            outcome.failed = True
        elif report.when == "call" and report.passed:
            outcome.passed = True

    def counts(self) -> dict[str, tuple[int, int]]:
        """ID -> (passed, failed) for every ID of the document, in document order."""
        passed = dict.fromkeys(self.known, 0)
        failed = dict.fromkeys(self.known, 0)
        for outcome in self.outcomes.values():
            for requirement in outcome.requirements:
                if requirement not in passed:
                    continue
                if outcome.failed:
                    failed[requirement] += 1
                elif outcome.passed:
                    passed[requirement] += 1
        return {r: (passed[r], failed[r]) for r in self.known}

    def _should_report(self, exitstatus: int) -> bool:
        return (
            not hasattr(self.config, "workerinput")  # pytest-xdist worker: the controller reports
            and not self.config.option.collectonly
            and not (
                self.collection_failed and not self.config.option.continue_on_collection_errors
            )
            # Nothing meaningful to count after a collection error, Ctrl-C or a crash.
            and exitstatus
            not in (
                pytest.ExitCode.INTERRUPTED,
                pytest.ExitCode.USAGE_ERROR,
                pytest.ExitCode.INTERNAL_ERROR,
            )
        )

    def pytest_terminal_summary(self, terminalreporter, exitstatus: int) -> None:
        if not self._should_report(exitstatus):
            return
        counts = self.counts()
        width = max([len("requirement"), *(len(r) for r in counts)])
        terminalreporter.write_sep(
            "=", "requirements" if self.is_full_run() else "requirements (partial run)"
        )
        terminalreporter.write_line(f"{'requirement':<{width}}  {'passed':>6}  {'failed':>6}")
        for requirement, (passed, failed) in counts.items():
            note = "  FAILING" if failed else ("  not covered" if not passed else "")
            line = f"{requirement:<{width}}  {passed:>6}  {failed:>6}{note}"
            terminalreporter.write_line(line, red=bool(failed), yellow=not passed and not failed)
        covered = sum(1 for p, f in counts.values() if p and not f)
        failing = sum(1 for _, f in counts.values() if f)
        terminalreporter.write_line(
            f"{covered}/{len(counts)} requirements proven by passing tests, "
            f"{failing} with failures, {len(counts) - covered - failing} not covered; "
            f"written to {self.report_file()}"
        )

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if not self._should_report(exitstatus):
            return
        target = self.config.rootpath / self.report_file()
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(
            "".join(f"{r} passed={p} failed={f}\n" for r, (p, f) in self.counts().items()),
            encoding="utf-8",
        )


def _ids_from_properties(properties: Iterable[tuple[str, object]]) -> tuple[str, ...]:
    ids: list[str] = []
    for name, value in properties:
        if name != PROPERTY:
            continue
        parts = value.split(",") if isinstance(value, str) else list(value)  # type: ignore[call-overload]
        ids.extend(p for p in parts if p and p not in ids)
    return tuple(ids)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(*ids): the docs/requirements.md requirement ID(s) this test proves",
    )
    doc_path = config.rootpath / REQUIREMENTS_DOC
    if not doc_path.is_file():
        raise pytest.UsageError(
            f"tests.requirements_plugin: {doc_path} not found; it lists the requirement IDs"
        )
    known = read_requirement_ids(doc_path)
    if not known:
        raise pytest.UsageError(f"tests.requirements_plugin: no requirement IDs in {doc_path}")
    config.pluginmanager.register(RequirementsTracker(config, doc_path, known), _PLUGIN_NAME)


def pytest_unconfigure(config: pytest.Config) -> None:
    tracker = config.pluginmanager.get_plugin(_PLUGIN_NAME)
    if tracker is not None:
        config.pluginmanager.unregister(tracker)
