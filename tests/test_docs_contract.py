"""docs/contract.md is what scripts rely on: check it against the code, the way completions/ are checked.

- Every ``ExitCode`` is in the exit-status table with its number and name, and the table has no stale row.
- For each record row of the table, every field it names is in the JSON of real records of that type. The
  records come from real runs: ``frame decode`` (ws, and h2 frames of every type the table names),
  ``frame decode --capture`` of a small SSE capture, and ``serve`` + clients over loopback.
- Every relative link in README.md and docs/*.md points at a file that exists (and a heading, with ``#``).
"""

from __future__ import annotations

import base64
import json
import re
import signal
import struct
import subprocess
from pathlib import Path

import pytest
from conftest import WIRETOOL, ServeProcess, free_port, run_cli, run_wiretool

from wiretool.exitcodes import ExitCode

ROOT = Path(__file__).resolve().parents[1]
CONTRACT = ROOT / "docs" / "contract.md"


def _section(text: str, heading: str) -> str:
    """The body of the ``##``/``###`` section whose title starts with ``heading``, up to the next heading."""
    match = re.search(rf"^#+ {re.escape(heading)}[^\n]*\n(.*?)(?=^#+ |\Z)", text, re.M | re.S)
    assert match, f"docs/contract.md has no section {heading!r}"
    return match.group(1)


def _table_rows(section: str) -> list[list[str]]:
    """The body rows of the Markdown tables in a section, as lists of stripped cells (``\\|`` kept whole)."""
    rows = []
    for line in section.splitlines():
        if not line.startswith("|") or set(line) <= set("|-: "):
            continue
        cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        rows.append(cells)
    return rows[1:] if rows else rows  # the first row is the header


def _ticks(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


# --- exit codes -------------------------------------------------------------------------------------------

def _exit_rows() -> dict[str, str]:
    rows = _table_rows(_section(CONTRACT.read_text(), "Exit status"))
    return {row[0]: _ticks(row[1])[0] for row in rows}


def test_every_exit_code_is_documented_with_its_number() -> None:
    rows = _exit_rows()
    for code in ExitCode:
        number = "64+N" if code is ExitCode.GRPC_BASE else str(int(code))
        assert rows.get(number) == code.name, f"docs/contract.md: exit {number} should be documented as {code.name}"


def test_no_stale_exit_code_is_documented() -> None:
    names = {code.name: code for code in ExitCode}
    for number, name in _exit_rows().items():
        assert name in names, f"docs/contract.md documents {name} ({number}), which ExitCode does not have"
        expected = "64+N" if names[name] is ExitCode.GRPC_BASE else str(int(names[name]))
        assert number == expected, f"docs/contract.md: {name} is {expected}, not {number}"


# --- records ----------------------------------------------------------------------------------------------

def _h2_frame(type_code: int, flags: int, stream_id: int, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload))[1:] + bytes([type_code, flags]) + struct.pack(">I", stream_id) + payload


def _h2_server_bytes() -> bytes:
    """One frame of each type the contract names, as a server sends them (SETTINGS first)."""
    return b"".join([
        _h2_frame(0x4, 0, 0, struct.pack(">HI", 3, 100)),                # SETTINGS MAX_CONCURRENT_STREAMS
        _h2_frame(0x1, 0x5, 1, b"\x88"),                                 # HEADERS :status 200
        _h2_frame(0x5, 0x4, 1, struct.pack(">I", 2) + b"\x82\x84"),      # PUSH_PROMISE GET /
        _h2_frame(0x0, 0x1, 2, b"hi"),                                   # DATA
        _h2_frame(0x6, 0, 0, b"12345678"),                               # PING
        _h2_frame(0x3, 0, 3, struct.pack(">I", 8)),                      # RST_STREAM CANCEL
        _h2_frame(0x8, 0, 0, struct.pack(">I", 100)),                    # WINDOW_UPDATE
        _h2_frame(0x7, 0, 0, struct.pack(">II", 1, 0) + b"bye"),         # GOAWAY NO_ERROR
    ])


def _sse_capture(path: Path) -> Path:
    """A capture of one SSE response with a comment and an event, written by hand as capture-format.md says."""
    request = b"GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"
    response = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\r\n: heartbeat\n\ndata: hi\nid: 1\n\n"
    lines = [
        {"capture": "wiretool", "format": 1, "wiretool": "0", "proto": "sse", "url": "http://127.0.0.1/events",
         "request_headers": [], "start": "2026-01-01T00:00:00.000+00:00", "secrets": "redacted",
         "method": "GET", "http1": True, "http2": False, "body_b64": None},
        {"kind": "bytes", "dir": "send", "t": 0.0, "b64": base64.b64encode(request).decode()},
        {"kind": "bytes", "dir": "recv", "t": 0.01, "b64": base64.b64encode(response).decode()},
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def _listening() -> dict:
    proc = subprocess.Popen([WIRETOOL, "--json", "serve", "ws", "--port", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    try:
        assert proc.stdout is not None
        return json.loads(proc.stdout.readline())
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    """Records from real runs, covering every row of the contract's record table."""
    out: list[dict] = []
    out += run_cli(["--json", "frame", "decode", "81", "85", "37", "fa", "21", "3d", "7f", "9f", "4d", "51", "58",
                    "--from", "client"]).json_lines()
    out += run_cli(["--json", "frame", "decode", "--proto", "h2", _h2_server_bytes().hex()]).json_lines()
    capture = _sse_capture(tmp_path_factory.mktemp("sse") / "s.wtcap")
    out += run_cli(["--json", "frame", "decode", "--capture", str(capture)]).json_lines()
    ws = ServeProcess("ws")
    try:
        out += run_wiretool(["ws", "connect", ws.url, "--send", "hello", "--count", "1", "--json"]).json_lines()
        out += run_wiretool(["probe", "ws", ws.url, "--cases", "1.1.1,2.5", "--json"]).json_lines()
    finally:
        ws.stop()
    sse = ServeProcess("sse")
    try:
        out += run_wiretool(["sse", "tail", f"{sse.url}/events?interval=0&count=2", "--no-reconnect",
                             "--json"]).json_lines()
    finally:
        sse.stop()
    h2 = ServeProcess("h2")
    try:
        out += run_wiretool(["h2", "grpc", h2.url, "/wiretool.Echo/Echo", "--data-hex", "0a03626f62",
                             "--json"]).json_lines()
    finally:
        h2.stop()
    refused = run_wiretool(["ws", "connect", f"ws://127.0.0.1:{free_port()}", "--json"])
    assert refused.exit_code == ExitCode.CONNECT
    out += refused.json_lines()
    out.append(_listening())
    return out


def _record_rows() -> list[tuple[str, str, str | None, list[str]]]:
    """(proto, type, qualifier, fields) for each row of the record table."""
    rows = []
    for cells in _table_rows(_section(CONTRACT.read_text(), "Records")):
        kind = re.fullmatch(r"`(\w+)`(?: \((\w+)\))?", cells[1])
        assert kind, f"docs/contract.md: cannot read the record type {cells[1]!r}"
        fields = [name for tick in _ticks(cells[2]) for name in tick.split()]
        rows.append((cells[0], kind.group(1), kind.group(2), fields))
    return rows


def _matches(record: dict, proto: str, type_: str, qualifier: str | None) -> bool:
    if record.get("type") != type_ or (proto != "any" and record.get("proto") != proto):
        return False
    return qualifier is None or qualifier in (record.get("frame_type"), record.get("dir"))


def test_the_record_table_is_read() -> None:
    rows = _record_rows()
    assert {(p, t) for p, t, _, _ in rows} >= {("ws", "frame"), ("sse", "event"), ("h2", "frame"),
                                               ("grpc", "status"), ("any", "error"), ("any", "summary")}


@pytest.mark.parametrize("row", _record_rows(), ids=lambda r: f"{r[0]}-{r[1]}" + (f"-{r[2]}" if r[2] else ""))
def test_documented_fields_are_in_real_records(row: tuple[str, str, str | None, list[str]],
                                               samples: list[dict]) -> None:
    proto, type_, qualifier, fields = row
    found = [r for r in samples if _matches(r, proto, type_, qualifier)]
    assert found, f"no sample record for {proto} {type_} {qualifier or ''}: add a run that makes one"
    for record in found:
        for field in fields:
            names = field.split("|")
            assert any(n in record for n in names), (
                f"docs/contract.md says {proto} {type_} has {field!r}; this one does not: {record}")


def test_every_record_has_proto_and_type_and_t(samples: list[dict]) -> None:
    for record in samples:
        assert record["proto"] in {"ws", "sse", "h2", "grpc", "http", "probe"} and record["type"], record
        assert "t" in record or record["type"] == "listening", record


# --- links ------------------------------------------------------------------------------------------------

_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")


def _slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", path.read_text(), flags=re.S)
    return {_slug(m) for m in re.findall(r"^#+ (.+)$", text, re.M)}


def _pages() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@pytest.mark.parametrize("page", _pages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_point_at_files_that_exist(page: Path) -> None:
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
    for target in _LINK.findall(text):
        if re.match(r"[a-z]+:", target):
            continue  # an absolute URL: not checked offline
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        assert file.exists(), f"{page.relative_to(ROOT)} links to {target}, which does not exist"
        if anchor and file.suffix == ".md":
            assert anchor in _anchors(file), f"{page.relative_to(ROOT)} links to {target}: no such heading"


def test_docs_pages_exist() -> None:
    names = {p.name for p in (ROOT / "docs").glob("*.md")}
    assert names >= {"contract.md", "capture-format.md", "design.md", "benchmarks.md", "ws.md", "sse.md",
                     "h2.md", "grpc.md", "frame.md", "replay.md"}
