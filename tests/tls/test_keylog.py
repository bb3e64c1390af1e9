"""The key log reader: every label of the NSS format, bad lines named by number, unreadable files exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from wiretool.errors import UsageError
from wiretool.exitcodes import ExitCode
from wiretool.tls import KeyLog

R1, R2 = "11" * 32, "22" * 32


def test_labels_are_grouped_by_client_random() -> None:
    log = KeyLog.parse(f"""# a comment
CLIENT_RANDOM {R1} {"aa" * 48}
CLIENT_HANDSHAKE_TRAFFIC_SECRET {R2} {"01" * 32}
SERVER_HANDSHAKE_TRAFFIC_SECRET {R2} {"02" * 32}
CLIENT_TRAFFIC_SECRET_0 {R2} {"03" * 48}
SERVER_TRAFFIC_SECRET_0 {R2} {"04" * 48}
EXPORTER_SECRET {R2} {"05" * 32}

""")
    assert len(log) == 2 and log.problems == [] and log.skipped == 0
    assert log.secrets_for(bytes.fromhex(R1)) == {"CLIENT_RANDOM": b"\xaa" * 48}
    assert sorted(log.secrets_for(bytes.fromhex(R2))) == [
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
        "SERVER_TRAFFIC_SECRET_0"]
    assert log.secrets_for(b"\0" * 32) == {}


def test_bad_lines_are_named_with_their_number_and_skipped() -> None:
    log = KeyLog.parse("\n".join([
        f"CLIENT_RANDOM {R1} {'aa' * 48}",
        "GARBAGE x y",
        f"CLIENT_RANDOM {R1}",
        f"CLIENT_RANDOM {R1} zz",
        f"CLIENT_RANDOM {'11' * 31} {'aa' * 48}",
        f"CLIENT_RANDOM {R1} {'aa' * 32}",
        f"RSA {'00' * 8} {'aa' * 48}",
        "\x1b[31mRED x y",
    ]))
    assert len(log) == 1 and log.skipped == 7
    assert [str(p) for p in log.problems] == [
        "line 2: unknown label 'GARBAGE'",
        "line 3: CLIENT_RANDOM needs a client random and a secret, found 1 fields",
        "line 4: CLIENT_RANDOM: not hex",
        "line 5: CLIENT_RANDOM: the client random is 31 bytes, not 32",
        "line 6: CLIENT_RANDOM: the secret is 32 bytes, not 48",
        "line 7: RSA pre-master secrets are not supported (use CLIENT_RANDOM lines)",
        "line 8: unknown label '?[31mRED'",
    ]


def test_problems_are_capped_and_counted() -> None:
    log = KeyLog.parse("nonsense\n" * 10_000)
    assert log.skipped == 10_000 and len(log.problems) == 20


def test_a_binary_file_without_newlines_is_read_in_bounded_pieces(tmp_path: Path) -> None:
    path = tmp_path / "blob"
    path.write_bytes(b"\x00\xff" * (3 << 20) + b"\n" + f"CLIENT_RANDOM {R1} {'aa' * 48}\n".encode())
    log = KeyLog.read(path)
    assert len(log) == 1 and log.skipped == 1
    assert "characters long: not a key log line" in log.problems[0].message


@pytest.mark.parametrize("make", ["missing", "directory"])
def test_an_unreadable_key_log_is_a_usage_error(tmp_path: Path, make: str) -> None:
    path = tmp_path / "keys"
    if make == "directory":
        path.mkdir()
    with pytest.raises(UsageError) as caught:
        KeyLog.read(path)
    assert caught.value.exit_code == ExitCode.USAGE
    assert str(path) in caught.value.message and "\n" not in caught.value.message


def test_extend_merges_a_file_and_capture_secrets() -> None:
    a = KeyLog.parse(f"CLIENT_HANDSHAKE_TRAFFIC_SECRET {R2} {'01' * 32}\nbad")
    b = KeyLog.parse(f"SERVER_HANDSHAKE_TRAFFIC_SECRET {R2} {'02' * 32}\nCLIENT_RANDOM {R1} {'aa' * 48}")
    a.extend(b)
    assert len(a) == 2 and len(a.secrets_for(bytes.fromhex(R2))) == 2 and a.skipped == 1
