"""The local CA: made once with safe modes, reused, and its leaves accepted by a client that trusts it."""

from __future__ import annotations

import datetime
import ssl
import stat
from pathlib import Path

import pytest
from cryptography import x509

from wiretool.proxy import ca


def _handshake(server: ssl.SSLContext, client: ssl.SSLContext, name: str) -> ssl.SSLObject:
    """A TLS handshake in memory: the client object once both sides are done (raises what the client raises)."""
    c_in, c_out, s_in, s_out = ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO()
    cli = client.wrap_bio(c_in, c_out, server_hostname=name)
    srv = server.wrap_bio(s_in, s_out, server_side=True)
    done = {"c": False, "s": False}
    for _ in range(20):
        for key, obj in (("c", cli), ("s", srv)):
            if not done[key]:
                try:
                    obj.do_handshake()
                    done[key] = True
                except ssl.SSLWantReadError:
                    pass
        s_in.write(c_out.read())
        c_in.write(s_out.read())
        if all(done.values()):
            return cli
    raise AssertionError("handshake did not finish")


def test_the_ca_is_made_once_with_a_private_key(tmp_path: Path) -> None:
    folder = tmp_path / "data" / "wiretool" / "ca"
    made = ca.ensure_ca(folder)
    assert made.created and made.cert.is_file() and made.key.is_file()
    assert stat.S_IMODE(made.key.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    again = ca.ensure_ca(folder)
    assert not again.created and again.cert.read_bytes() == made.cert.read_bytes()
    cert = x509.load_pem_x509_certificate(made.cert.read_bytes())
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_the_default_directory_follows_xdg_data_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("WIRETOOL_CA_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert ca.default_dir() == tmp_path / "wiretool" / "ca"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert ca.default_dir() == tmp_path / "home" / ".local" / "share" / "wiretool" / "ca"


@pytest.mark.parametrize("host", ["example.test", "127.0.0.1", "::1"])
def test_a_leaf_is_short_lived_names_the_host_and_is_trusted_through_the_ca(tmp_path: Path, host: str) -> None:
    local = ca.LocalCA(ca.ensure_ca(tmp_path / "ca"))
    leaf = x509.load_pem_x509_certificate(local.leaf_pem(host))
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [str(v.value) for v in san] == [host]
    life = leaf.not_valid_after_utc - leaf.not_valid_before_utc
    assert life <= datetime.timedelta(days=ca.LEAF_DAYS + 1)
    assert local.leaf_pem(host) is local.leaf_pem(host)  # cached
    client = ssl.create_default_context(cafile=str(local.files.cert))
    client.set_alpn_protocols(["h2", "http/1.1"])
    done = _handshake(local.server_context(host, ("h2",)), client, host)
    assert done.selected_alpn_protocol() == "h2"
    assert local.server_context(host, ("h2",)) is local.server_context(host, ("h2",))


def test_a_leaf_for_one_host_is_refused_for_another(tmp_path: Path) -> None:
    local = ca.LocalCA(ca.ensure_ca(tmp_path / "ca"))
    client = ssl.create_default_context(cafile=str(local.files.cert))
    with pytest.raises(ssl.SSLCertVerificationError):
        _handshake(local.server_context("a.test"), client, "b.test")


def test_a_broken_ca_is_one_usage_error(tmp_path: Path) -> None:
    files = ca.ensure_ca(tmp_path / "ca")
    files.key.write_text("not a key")
    with pytest.raises(ca.UsageError, match="cannot load the proxy CA"):
        ca.LocalCA(files)


def test_the_spki_hash_is_base64_sha256(tmp_path: Path) -> None:
    files = ca.ensure_ca(tmp_path / "ca")
    digest = ca.spki_hash(files.cert.read_bytes())
    assert len(digest) == 44 and digest.endswith("=")
