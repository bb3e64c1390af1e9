"""Helpers for the forward-mode tests: the installed ``wiretool proxy`` with no upstream, its own CA directory,
and certificates for the local TLS servers it intercepts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

import trustme
from conftest import WIRETOOL


class ForwardProxy:
    """``wiretool --json proxy --listen 127.0.0.1:0 ARGS`` (forward mode), its CA in ``ca_dir``."""

    def __init__(self, ca_dir: Path, *args: str) -> None:
        self.ca_dir = ca_dir
        env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "160", "WIRETOOL_CA_DIR": str(ca_dir)}
        self.proc = subprocess.Popen([WIRETOOL, "--json", "proxy", "--listen", "127.0.0.1:0", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().decode()
        assert line, self.proc.stderr.read().decode()  # type: ignore[union-attr]
        first = json.loads(line)
        assert first["type"] == "listening", first
        self.url: str = first["url"]
        self.port = int(self.url.rsplit(":", 1)[1])
        self.out = self.err = ""

    @property
    def ca(self) -> str:
        """The proxy CA's certificate: what a client passes to --cacert."""
        return str(self.ca_dir / "ca.pem")

    def stop(self) -> list[dict]:
        """SIGINT, then every NDJSON record it printed."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        out, err = self.proc.communicate(timeout=20)
        self.out, self.err = out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
        return [json.loads(line) for line in self.out.splitlines() if line.startswith("{")]


@dataclass
class ServerCert:
    """A CA the proxy trusts (``--cacert``) and a certificate for 127.0.0.1/localhost signed by it."""

    ca: Path
    cert: Path
    key: Path
    chain: Path


def server_cert(folder: Path) -> ServerCert:
    ca = trustme.CA()
    leaf = ca.issue_cert("127.0.0.1", "localhost")
    out = ServerCert(folder / "server-ca.pem", folder / "server.pem", folder / "server.key", folder / "chain.pem")
    ca.cert_pem.write_to_path(str(out.ca))
    leaf.cert_chain_pems[0].write_to_path(str(out.cert))
    leaf.private_key_pem.write_to_path(str(out.key))
    leaf.private_key_and_cert_chain_pem.write_to_path(str(out.chain))
    return out


def of(records: list[dict], proto: str | None = None, type: str | None = None, **fields: object) -> list[dict]:
    """The records with this proto, type and field values."""
    return [r for r in records if (proto is None or r.get("proto") == proto)
            and (type is None or r.get("type") == type) and all(r.get(k) == v for k, v in fields.items())]


def curl(*args: str, timeout: float = 20) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["curl", "-sS", "--max-time", "10", *args], capture_output=True, timeout=timeout)
