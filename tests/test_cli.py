import json

import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.conftest import SEEDS

runner = CliRunner()


def test_explain_shows_each_line_with_its_verdict():
    path = next(SEEDS.glob("004_*.txt"))
    result = runner.invoke(app, ["explain", str(path)], terminal_width=200)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(line.startswith("related_heading") and "Tin bài liên quan" in line for line in lines)
    assert any(line.startswith("caption -> captions") and "Ảnh VGP" in line for line in lines)
    assert any(line.startswith("KEEP") and "Theo Thượng tướng Hoàng Xuân Chiến" in line for line in lines)
    assert "category: Chính trị - Xã hội" in result.output


@pytest.mark.usefixtures("prefect_server")
def test_run_prints_a_json_summary(tmp_path):
    path = next(SEEDS.glob("001_*.txt"))
    result = runner.invoke(app, ["run", str(path), "--out", str(tmp_path / "clean"), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["inputs"] == 1 and summary["written"] == 1
    assert summary["moved"]["author"] == 1
