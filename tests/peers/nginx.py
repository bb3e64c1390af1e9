"""nginx from Debian as a real HTTP/2-over-TLS peer on loopback, with a throwaway CA (trustme).

nginx sends its SETTINGS the moment TLS is accepted, before the client has written anything: the case that
found the client writing frames before its connection preface (issue 11). Installed by tests/peers/install.sh.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


@dataclass
class Nginx:
    url: str
    cacert: str
    proc: subprocess.Popen[bytes]
    prefix: Path

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)

    def error_log(self) -> str:
        path = self.prefix / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""


def start_nginx(prefix: Path, *, server_extra: str = "", locations: str = "") -> Nginx:
    """nginx with ``listen 127.0.0.1:PORT ssl http2`` and a CA-signed certificate for 127.0.0.1."""
    import trustme

    prefix.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    ca.cert_pem.write_to_path(str(prefix / "ca.pem"))
    cert.private_key_and_cert_chain_pem.write_to_path(str(prefix / "server.pem"))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    for d in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (prefix / d).mkdir(exist_ok=True)
    (prefix / "nginx.conf").write_text(f"""
user root;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log info;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    server {{
        listen 127.0.0.1:{port} ssl http2;
        ssl_certificate {prefix}/server.pem;
        ssl_certificate_key {prefix}/server.pem;
        {server_extra}
        location / {{ return 200 "hello from nginx\\n"; }}
        {locations}
    }}
}}
""")
    proc = subprocess.Popen([NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"nginx did not start: {proc.stderr.read().decode(errors='replace') if proc.stderr else ''}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.05)
    else:
        proc.kill()
        raise RuntimeError("nginx did not listen within 15 s")
    return Nginx(url=f"https://127.0.0.1:{port}", cacert=str(prefix / "ca.pem"), proc=proc, prefix=prefix)
