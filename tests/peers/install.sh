#!/usr/bin/env bash
# Install the real peers the test suite talks to over loopback, each from Debian's packages.
# Run by .ci/run and by the README's test command; a peer that cannot be installed fails here, loudly,
# because a test never skips for a missing peer.
set -euo pipefail
need=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "tests/peers/install.sh: need root to install ${need[*]} (apt-get)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  # Debian starts the packaged service on port 80; the tests run their own instances on free ports.
  (systemctl stop nginx || service nginx stop || pkill -x nginx) >/dev/null 2>&1 || true
fi
echo "peers: nginx $( (nginx -v 2>&1 || /usr/sbin/nginx -v 2>&1) | sed 's/.*\///')"
