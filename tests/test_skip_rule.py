"""The rule for tests that need a Debian package (tests.conftest.needs_debian): outside CI they skip, naming the
package and ``bash .ci/run``; under CI=true they fail, so a missing install step in .ci/run cannot hide as a skip.

Each case runs pytest in a subprocess on a one-test file, with PATH emptied of the program the test needs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

NEEDS_WRK = """
from tests.conftest import needs_debian


def test_load():
    needs_debian("wrk", "wrk")
"""


def run_without_the_program(tmp_path: Path, ci: str | None) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_needs_wrk.py").write_text(NEEDS_WRK, "utf-8")
    (tmp_path / "empty-bin").mkdir()
    env = {key: value for key, value in os.environ.items() if key not in ("CI", "PYTEST_ADDOPTS")}
    env.update(PATH=str(tmp_path / "empty-bin"), PYTHONPATH=str(ROOT))
    if ci is not None:
        env["CI"] = ci
    return subprocess.run([sys.executable, "-m", "pytest", "-rsf", "-p", "no:cacheprovider", "--rootdir",
                           str(tmp_path), "test_needs_wrk.py"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_outside_ci_a_missing_package_skips_and_says_how_to_get_it(tmp_path: Path) -> None:
    done = run_without_the_program(tmp_path, ci=None)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 skipped" in done.stdout
    assert "install the Debian package wrk (bash .ci/run installs it)" in done.stdout


@pytest.mark.parametrize("ci", ["true", "1"])
def test_under_ci_a_missing_package_fails(tmp_path: Path, ci: str) -> None:
    done = run_without_the_program(tmp_path, ci=ci)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 failed" in done.stdout and "skipped" not in done.stdout
    assert "install the Debian package wrk" in done.stdout


def test_ci_false_counts_as_outside_ci(tmp_path: Path) -> None:
    assert "1 skipped" in run_without_the_program(tmp_path, ci="false").stdout
