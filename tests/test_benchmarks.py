"""The benchmark scripts start (their figures are measured by hand, not in CI)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.mark.parametrize("script", ["generate.py", "speed.py", "relevance.py", "stress_kill.py"])
def test_benchmark_scripts_start(script: str) -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH / script), "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and "usage:" in result.stdout


def test_generator_is_deterministic_and_focal_shaped(tmp_path: Path) -> None:
    sys.path.insert(0, str(BENCH))
    try:
        from generate import generate
    finally:
        sys.path.remove(str(BENCH))
    generate(30, tmp_path / "a", seed=3)
    generate(30, tmp_path / "b", seed=3)
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.txt"))
    files_b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*.txt"))
    assert files_a == files_b and len(files_a) == 30
    first = (tmp_path / "a" / files_a[0]).read_text()
    assert first.startswith("Welcome to the FOCAL archive")
    assert "blog comments powered by Disqus" in first
    assert (tmp_path / "a" / files_a[0]).read_bytes() == (tmp_path / "b" / files_a[0]).read_bytes()
