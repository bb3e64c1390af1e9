"""The protocol registry: every entry complete, every part resolvable, nothing loaded at start-up."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path
from typing import ClassVar

import pytest

from wiretool import protocols
from wiretool.output.env import Environment
from wiretool.output.sink import Output
from wiretool.records import Record

EXPECTED = {"ws", "sse", "h2", "grpc"}


def test_every_protocol_has_an_entry() -> None:
    assert set(protocols.PROTOCOLS) == EXPECTED
    for name, entry in protocols.PROTOCOLS.items():
        assert entry.name == name


@pytest.mark.parametrize("proto", sorted(EXPECTED))
def test_entry_is_complete_and_every_part_resolves(proto: str) -> None:
    entry = protocols.PROTOCOLS[proto]
    assert set(entry._fields) - {"name"} == set(protocols.PARTS)
    for part in protocols.PARTS:
        path = getattr(entry, part)
        if path is None:
            continue  # stated as absent on purpose (the entry says why)
        assert isinstance(path, str) and path, (proto, part)
        obj = protocols.load(path)  # an ImportError/AttributeError here fails the test
        assert obj is not None, (proto, part, path)
    # the parts every protocol must have
    for part in ("codec", "records", "renderer", "capture_decoder", "redactor", "demo"):
        assert getattr(entry, part) is not None, (proto, part)
    assert callable(protocols.load(entry.renderer))
    if entry.ndjson_writers is not None:
        assert isinstance(protocols.load(entry.ndjson_writers), dict)
    if entry.replayer is not None:
        replayer = protocols.load(entry.replayer)
        assert callable(getattr(replayer, "session", None)), proto  # every replay is a session of the run layer
    demo = protocols.load(entry.demo)
    assert demo.TITLE and callable(demo.run)


def test_help_imports_no_protocol_part() -> None:
    """``wiretool --help`` lists commands from strings: no codec, view, writer, replayer or demo is imported."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "wiretool", "--help"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    imported = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if "|" in line}
    parts = {getattr(e, p).partition(":")[0] for e in protocols.PROTOCOLS.values() for p in protocols.PARTS
             if getattr(e, p)}
    assert not parts & imported, sorted(parts & imported)
    assert "wiretool.protocols" not in imported


class _BrokenRecord(Record, frozen=True):
    proto: ClassVar[str] = "broken"
    type: ClassVar[str] = "thing"


def test_a_renderer_whose_import_breaks_is_an_error_not_a_fallback(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "wiretool_broken_view.py").write_text("import wiretool.no_such_module\n"
                                                      "def render(record, out):\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    entry = protocols.PROTOCOLS["ws"]._replace(name="broken", renderer="wiretool_broken_view:render",
                                               ndjson_writers="wiretool_broken_view:WRITERS")
    monkeypatch.setitem(protocols.PROTOCOLS, "broken", entry)
    pretty = Output(Environment(stdout=io.StringIO(), stderr=io.StringIO()), proto="broken")
    with pytest.raises(ModuleNotFoundError, match="no_such_module"):
        pretty.emit(_BrokenRecord(t=0.0))
    ndjson = Output(Environment(stdout=io.StringIO(), stderr=io.StringIO(), json=True), proto="broken")
    with pytest.raises(ModuleNotFoundError, match="no_such_module"):
        ndjson.emit(_BrokenRecord(t=0.0))


def test_records_of_no_protocol_use_the_common_view() -> None:
    from wiretool.records import Note

    stream = io.StringIO()
    Output(Environment(stdout=stream, stderr=io.StringIO()), proto="ws").emit(Note(t=0.0, text="hello"))
    assert "hello" in stream.getvalue()
