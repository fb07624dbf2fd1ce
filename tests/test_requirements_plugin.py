"""The requirement-coverage plugin (tests/requirements_plugin.py), run on throwaway projects.

No Django and no database: every inner run gets its own pytest.ini in a temporary directory,
plugin autoloading is off and pytest-django is blocked with ``-p no:django``.
"""

from __future__ import annotations

import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PLUGIN_ARGS = ("-p", "tests.requirements_plugin", "-p", "no:django", "-p", "no:cacheprovider")

REQUIREMENTS_MD = """\
# Requirements

## Orders
- **R-ORD-2** Price: shown before confirming.
- **R-ORD-1** Channels: web, phone, API (see also R-ORD-2).

## Support
- **R-SUP-1** Channels: phone, email, chat.
- **R-SEC-1** Data protection.
- **R-I18N-1** Languages.
"""


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A tiny project: its own ini file and docs/requirements.md, the plugin importable."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    monkeypatch.syspath_prepend(str(PROJECT_ROOT))
    pytester.makeini("[pytest]\naddopts = --strict-markers\n")
    docs = pytester.path / "docs"
    docs.mkdir()
    (docs / "requirements.md").write_text(REQUIREMENTS_MD, encoding="utf-8")
    return pytester


@pytest.fixture(autouse=True)
def _not_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    # Under CI pytest prints summaries untruncated, repeating messages the tests count.
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("BUILD_NUMBER", raising=False)


def run(project: pytest.Pytester, *args: str) -> pytest.RunResult:
    return project.runpytest(*PLUGIN_ARGS, *args)


def report_lines(project: pytest.Pytester) -> list[str]:
    return (project.path / "build" / "requirements.txt").read_text(encoding="utf-8").splitlines()


SAMPLE_TESTS = """
    import pytest

    @pytest.fixture
    def broken_setup():
        raise RuntimeError("setup fails")

    @pytest.fixture
    def broken_teardown():
        yield
        raise RuntimeError("teardown fails")

    @pytest.mark.requirement("R-ORD-1")
    def test_passes():
        pass

    @pytest.mark.requirement("R-ORD-1", "R-SUP-1")
    def test_passes_two_ids():
        pass

    @pytest.mark.requirement("R-ORD-1")
    @pytest.mark.requirement("R-SUP-1")
    def test_fails_two_markers():
        assert False

    @pytest.mark.requirement("R-SEC-1")
    def test_setup_error(broken_setup):
        pass

    @pytest.mark.requirement("R-SEC-1")
    def test_teardown_error(broken_teardown):
        pass

    @pytest.mark.requirement("R-SEC-1")
    def test_skipped():
        pytest.skip("not today")

    @pytest.mark.requirement("R-SEC-1")
    @pytest.mark.xfail(reason="known bug")
    def test_xfail():
        assert False

    @pytest.mark.requirement("R-ORD-2, R-I18N-1")
    @pytest.mark.parametrize("n", [1, 2])
    def test_parametrized(n):
        pass

    def test_without_marker():
        pass
"""


def test_counts_and_report_file_cover_every_documented_id(project: pytest.Pytester) -> None:
    project.makepyfile(test_sample=SAMPLE_TESTS)
    result = run(project)
    result.assert_outcomes(passed=6, failed=1, errors=2, skipped=1, xfailed=1)
    # Document order (first appearance), zeros for uncovered IDs, setup and teardown
    # failures count as failed, skipped and xfailed count as neither.
    assert report_lines(project) == [
        "R-ORD-2 passed=2 failed=0",
        "R-ORD-1 passed=2 failed=1",
        "R-SUP-1 passed=1 failed=1",
        "R-SEC-1 passed=0 failed=2",
        "R-I18N-1 passed=2 failed=0",
    ]


def test_terminal_summary_prints_the_table(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_sample="""
        import pytest

        @pytest.mark.requirement("R-ORD-1")
        def test_ok():
            pass

        @pytest.mark.requirement("R-SUP-1")
        def test_bad():
            assert False
        """
    )
    result = run(project)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*= requirements =*",
            "requirement*passed*failed",
            "R-ORD-2 * 0 * 0*not covered",
            "R-ORD-1 * 1 * 0",
            "R-SUP-1 * 0 * 1*FAILING",
            "R-SEC-1 * 0 * 0*not covered",
            "R-I18N-1 * 0 * 0*not covered",
            "1/5 requirements proven by passing tests, 1 with failures, 3 not covered*",
        ]
    )


def test_all_passing_run_exits_zero(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_sample="""
        import pytest

        @pytest.mark.requirement("R-I18N-1")
        def test_ok():
            pass
        """
    )
    result = run(project)
    assert result.ret == pytest.ExitCode.OK
    assert "R-I18N-1 passed=1 failed=0" in report_lines(project)


def test_unknown_id_fails_the_run_at_collection(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_sample="""
        import pytest

        @pytest.mark.requirement("R-ORD-1")
        def test_fine():
            pass

        @pytest.mark.requirement("R-ORD-1", "R-0RD-3")
        def test_typo():
            pass
        """
    )
    result = run(project)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(
        [
            "*ERROR collecting test_sample.py*",
            "@pytest.mark.requirement: only IDs listed in *requirements.md are allowed",
            "test_sample.py::test_typo: unknown requirement ID(s) R-0RD-3",
            "*Interrupted: 1 error during collection*",
        ]
    )
    result.stdout.no_fnmatch_line("*test_fine*")
    result.stdout.no_fnmatch_line("*= requirements =*")
    assert not (project.path / "build" / "requirements.txt").exists()


def test_unknown_id_is_caught_even_when_deselected(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_sample="""
        import pytest

        @pytest.mark.requirement("R-ORD-1")
        def test_fine():
            pass

        @pytest.mark.requirement("R-NOPE-1")
        def test_typo():
            pass
        """
    )
    result = run(project, "-k", "fine")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*test_typo: unknown requirement ID(s) R-NOPE-1*"])


def test_marker_without_ids_is_rejected(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_sample="""
        import pytest

        @pytest.mark.requirement
        def test_empty():
            pass
        """
    )
    result = run(project)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*test_empty: marker without any requirement ID*"])


def test_ids_are_stored_in_user_properties(project: pytest.Pytester) -> None:
    """user_properties travel with the reports (pytest-xdist, junitxml)."""
    project.makepyfile(
        test_sample="""
        import pytest

        @pytest.mark.requirement("R-ORD-1", "R-SUP-1")
        @pytest.mark.requirement("R-ORD-1")
        def test_ok(request):
            assert ("requirements", "R-ORD-1,R-SUP-1") in request.node.user_properties
        """
    )
    result = run(project, "--junitxml=junit.xml")
    result.assert_outcomes(passed=1)
    properties = ET.parse(project.path / "junit.xml").getroot().iter("property")
    assert [(p.get("name"), p.get("value")) for p in properties] == [
        ("requirements", "R-ORD-1,R-SUP-1")
    ]


def test_collect_only_writes_no_report(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_sample="""
        import pytest

        @pytest.mark.requirement("R-ORD-1")
        def test_ok():
            pass
        """
    )
    result = run(project, "--collect-only")
    assert result.ret == pytest.ExitCode.OK
    assert not (project.path / "build" / "requirements.txt").exists()


def test_missing_requirements_document_is_a_usage_error(project: pytest.Pytester) -> None:
    (project.path / "docs" / "requirements.md").unlink()
    project.makepyfile(test_sample="def test_ok():\n    pass\n")
    result = run(project)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*docs*requirements.md not found*"])


def test_command_line_in_a_subprocess(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``python -m pytest -p tests.requirements_plugin`` as the project runs it."""
    monkeypatch.setenv("PYTHONPATH", str(PROJECT_ROOT))
    project.makepyfile(
        test_sample=textwrap.dedent(
            """
            import pytest

            @pytest.mark.requirement("R-SEC-1")
            def test_ok():
                pass

            @pytest.mark.requirement("R-SEC-1")
            def test_bad():
                assert False
            """
        )
    )
    result = project.runpytest_subprocess(*PLUGIN_ARGS, timeout=600)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["R-SEC-1 * 1 * 1*FAILING"])
    assert "R-SEC-1 passed=1 failed=1" in report_lines(project)


def test_parametrized_typo_is_reported_once(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_sample="""
        import pytest

        @pytest.mark.requirement("R-ORD-9")
        @pytest.mark.parametrize("n", [1, 2, 3])
        def test_many(n):
            pass
        """
    )
    result = run(project)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert result.stdout.str().count("unknown requirement ID(s) R-ORD-9") == 1


def test_counts_reach_the_xdist_controller(project: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    project.makepyfile(
        test_sample="""
        import pytest

        @pytest.mark.requirement("R-ORD-1")
        @pytest.mark.parametrize("n", range(4))
        def test_ok(n):
            pass

        @pytest.mark.requirement("R-SUP-1")
        def test_bad():
            assert False
        """
    )
    result = run(project, "-p", "xdist", "-n", "2")
    result.assert_outcomes(passed=4, failed=1)
    assert report_lines(project)[1:3] == [
        "R-ORD-1 passed=4 failed=0",
        "R-SUP-1 passed=0 failed=1",
    ]


def test_a_partial_run_writes_its_own_file_and_leaves_the_full_report(
    project: pytest.Pytester,
) -> None:
    project.makepyfile(
        test_one="""
        import pytest

        @pytest.mark.requirement("R-ORD-1")
        def test_ok():
            pass
        """,
        test_two="""
        import pytest

        @pytest.mark.requirement("R-SUP-1")
        def test_ok():
            pass
        """,
    )
    run(project).assert_outcomes(passed=2)
    full = report_lines(project)
    assert "R-SUP-1 passed=1 failed=0" in full

    for partial in (("test_one.py",), ("-k", "test_ok and one"), ("-m", "requirement")):
        result = run(project, *partial)
        result.stdout.fnmatch_lines(["*requirements (partial run)*", "*requirements-partial.txt"])
        assert report_lines(project) == full  # the full run's report is left as it was
    partial_lines = (project.path / "build" / "requirements-partial.txt").read_text().splitlines()
    assert "R-ORD-1 passed=1 failed=0" in partial_lines
