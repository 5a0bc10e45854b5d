#!/usr/bin/env bash
# Installs the Debian packages the tests use, only when one is missing. Idempotent and quiet.
set -euo pipefail
PKGS=(radosgw ceph-mon ceph-osd ceph-common uuid-runtime curl postgresql-15 postgresql-client-15 python3-psycopg libpostgresql-jdbc-java openjdk-17-jdk-headless chromium)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}" >&2
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
