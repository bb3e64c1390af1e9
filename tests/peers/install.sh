#!/usr/bin/env bash
# Install the real peers the test suite talks to over loopback. Run by .ci/run and by the README's test
# command; a peer that cannot be installed fails here, loudly, because a test never skips for a missing peer.
#
# Each feature lists its peers in its own small files, so features never edit one shared list:
#   tests/peers/debian/<feature>.txt   lines "COMMAND PACKAGE": PACKAGE is installed when COMMAND is missing
#   tests/peers/npm/<feature>/package.json   installed into that folder (its tests run node from there)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
need=()
for list in "$here"/debian/*.txt; do
  [ -e "$list" ] || continue
  while read -r cmd pkg _; do
    case "$cmd" in ''|'#'*) continue ;; esac
    command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || need+=("$pkg")
  done < "$list"
done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "tests/peers/install.sh: need root to install ${need[*]} (apt-get)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=600 \
    $(printf '%s\n' "${need[@]}" | sort -u) >/dev/null
fi
# Debian starts packaged services on well-known ports; the tests run their own instances on free ports.
for service in nginx apache2 h2o caddy mosquitto; do
  if pgrep -x "$service" >/dev/null 2>&1; then
    (systemctl stop "$service" || service "$service" stop || pkill -x "$service") >/dev/null 2>&1 || true
  fi
done
for pkgjson in "$here"/npm/*/package.json; do
  [ -e "$pkgjson" ] || continue
  dir="$(dirname "$pkgjson")"
  if [ ! -d "$dir/node_modules" ] || [ "$pkgjson" -nt "$dir/node_modules" ]; then
    npm install --prefix "$dir" --no-audit --no-fund --loglevel=error >/dev/null
    touch "$dir/node_modules"
  fi
done
echo "peers: nginx $( (nginx -v 2>&1 || /usr/sbin/nginx -v 2>&1) | sed 's/.*\///')" \
  "$(ls -d "$here"/npm/*/ 2>/dev/null | xargs -r -n1 basename | sed 's/^/npm:/' | tr '\n' ' ')"
