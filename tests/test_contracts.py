"""kb.contracts: schema/ read from a checkout, and from a wheel installed without one (the Docker image's
``pip install .``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from kb import contracts

ROOT = Path(__file__).resolve().parent.parent


def test_folder_in_a_checkout_is_its_schema_folder() -> None:
    assert contracts.folder() == ROOT / "schema"
    assert contracts.path("shapes.ttl").read_bytes() == (ROOT / "schema" / "shapes.ttl").read_bytes()


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The kb wheel built from a copy of this checkout's package, contracts and metadata."""
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for folder in ("kb", "schema"):
        shutil.copytree(ROOT / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(source)],
                   check=True, capture_output=True, timeout=240)
    (built,) = out.glob("kb-*.whl")
    return built


def test_wheel_carries_every_contract_file(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    schema = sorted(p.name for p in (ROOT / "schema").iterdir() if p.is_file())
    assert schema
    assert [name for name in schema if f"kb/_schema/{name}" not in names] == []


def test_installed_wheel_validates_and_exports_without_a_checkout(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(wheel)],
                   check=True, capture_output=True, timeout=240)
    project = tmp_path / "project"
    for folder in ("seeds", "curation"):
        shutil.copytree(ROOT / folder, project / folder)
    env = {**os.environ, "PYTHONPATH": str(site)}

    def kb(*args: str, installed: bool = True) -> subprocess.CompletedProcess[str]:
        code = "import sys, kb.cli; sys.argv = ['kb', *sys.argv[1:]]; kb.cli.main()"
        return subprocess.run([sys.executable, "-c", code, *args], check=False, cwd=project if installed else ROOT,
                              env=env if installed else None, capture_output=True, text=True,
                              timeout=240)

    where = subprocess.run([sys.executable, "-c", "import kb.contracts as c; print(c.folder())"], cwd=project,
                           env=env, capture_output=True, text=True, check=True)
    assert Path(where.stdout.strip()) == site / "kb" / "_schema"  # the wheel's copy, not this checkout's

    validated = kb("validate", "--root", str(project))
    assert validated.returncode == 0, validated.stderr
    exported = kb("export", "--root", str(project), "--format", "jsonld")
    assert exported.returncode == 0, exported.stderr
    here = kb("export", "--root", str(project), "--format", "jsonld", installed=False)  # from this checkout
    assert here.returncode == 0, here.stderr
    assert exported.stdout == here.stdout
