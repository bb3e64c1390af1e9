"""``wiretool proxy ca``: path, SPKI hash and PEM, made on first use, --export, --json; forward-mode usage errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_cli, run_wiretool


def test_proxy_ca_makes_the_ca_once_and_prints_path_and_pem(tmp_path: Path) -> None:
    env = {"WIRETOOL_CA_DIR": str(tmp_path / "ca")}
    first = run_wiretool(["proxy", "ca"], env=env)
    assert first.exit_code == 0, first.stderr
    assert "created the proxy CA" in first.stderr
    assert first.stdout.startswith(f"# {tmp_path / 'ca' / 'ca.pem'}\n# SPKI sha256 (base64): ")
    assert "-----BEGIN CERTIFICATE-----" in first.stdout and "PRIVATE KEY" not in first.stdout
    again = run_wiretool(["proxy", "ca", "--export", str(tmp_path / "out.pem")], env=env)
    assert again.exit_code == 0 and again.stderr == ""
    assert (tmp_path / "out.pem").read_text() == (tmp_path / "ca" / "ca.pem").read_text()


def test_proxy_ca_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIRETOOL_CA_DIR", str(tmp_path / "ca"))
    got = run_cli(["--json", "proxy", "ca"])
    assert got.exit_code == 0
    rec = json.loads(got.stdout)
    assert (rec["proto"], rec["type"], rec["created"]) == ("proxy", "ca", True)
    assert rec["path"] == str(tmp_path / "ca" / "ca.pem") and rec["pem"].startswith("-----BEGIN CERTIFICATE-----")
    assert json.loads(run_cli(["proxy", "ca", "--json"]).stdout)["created"] is False


def test_an_unwritable_ca_directory_is_one_usage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    got = run_wiretool(["proxy", "ca"], env={"WIRETOOL_CA_DIR": str(blocker / "ca")})
    assert got.exit_code == 2
    assert got.stderr.startswith("wiretool: error: cannot create the proxy CA in ") and "Traceback" not in got.stderr


@pytest.mark.parametrize("args, message", [
    (["--no-intercept", "x", "--upstream", "http://127.0.0.1:9"], "--no-intercept is for forward mode"),
    (["--tls", "--self-signed"], "--tls is for reverse mode"),
])
def test_forward_mode_usage_errors(tmp_path: Path, args: list[str], message: str) -> None:
    got = run_wiretool(["proxy", "--listen", "127.0.0.1:0", *args], env={"WIRETOOL_CA_DIR": str(tmp_path / "ca")})
    assert got.exit_code == 2 and message in got.stderr


def test_proxy_help_lists_ca_and_forward_mode() -> None:
    got = run_cli(["proxy", "--help"])
    assert got.exit_code == 0
    assert "Forward mode" in got.stdout and "--no-intercept" in got.stdout and "ca " in got.stdout
