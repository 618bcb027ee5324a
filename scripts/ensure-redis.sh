#!/usr/bin/env bash
# Installs Debian's redis-server when it is missing, without starting the system's instance:
# tests start their own servers on 127.0.0.1 (tests/src/redis.rs) and stop them.
set -euo pipefail
command -v redis-server >/dev/null && exit 0
policy=/usr/sbin/policy-rc.d
made_policy=
if [ ! -e "$policy" ]; then
  # "101: action forbidden": the package's postinst must not start a daemon on 6379.
  printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && made_policy=1
fi
trap '[ -n "$made_policy" ] && rm -f "$policy"' EXIT
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends redis-server >/dev/null
command -v redis-server
