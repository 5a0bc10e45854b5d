#!/usr/bin/env bash
# Local S3 + STS for tests, demos and benchmarks: a single-node Ceph cluster (one monitor,
# one memstore OSD, no mgr) and one radosgw with STS, all state under one directory.
#
#   scripts/local-aws.sh up       start (or reuse) the instance; prints `export` lines
#   scripts/local-aws.sh down     stop the daemons this script started, by their PIDs
#   scripts/local-aws.sh status   say whether it runs (exit 0) or not (exit 1)
#
# `up` writes only `export ...` lines to stdout, because scripts/test.sh does
# `eval "$(bash scripts/local-aws.sh up)"`; progress goes to stderr.
# Documented in docs/local-aws.md.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${LOCAL_AWS_DIR:-$ROOT/.local-aws}
RGW_PORT=${LOCAL_AWS_RGW_PORT:-7480}
MON_PORT=${LOCAL_AWS_MON_PORT:-7481}
# Fixed port of the standalone STS front + fault proxy (node dist/test/support/sts-front.js).
GATEWAY_PORT=${LOCAL_AWS_GATEWAY_PORT:-7482}
# memstore keeps every object in RAM, so this is a RAM budget, not disk.
MEM_BYTES=${LOCAL_AWS_MEM_BYTES:-4294967296}
# Fixed, documented test credentials (AWS-shaped: 20-char key id, 40-char secret).
ADMIN_KEY=LOCALAWSADMIN0000000
ADMIN_SECRET=localawsAdminSecret000000000000000000000
FERRY_KEY=LOCALAWSFERRY0000000
FERRY_SECRET=localawsFerrySecret000000000000000000000
# RGW has no account ids for tenant-less users; the STS front presents this one.
ACCOUNT_ID=123456789012
REGION=us-east-1
BUCKETS=(ferry-test ferry-bench)
ENDPOINT=http://127.0.0.1:$RGW_PORT

log() { echo "local-aws: $*" >&2; }
# set -e stops silently; say which command failed and where the daemon logs are.
trap 'log "failed (exit $?) at line $LINENO: $BASH_COMMAND; logs in $DIR/log"' ERR

alive() { [ -f "$DIR/$1.pid" ] && kill -0 "$(cat "$DIR/$1.pid")" 2>/dev/null; }

running() { alive mon && alive osd && alive rgw && curl -sf -o /dev/null "$ENDPOINT/"; }

print_exports() {
  cat <<EOF
export AWS_ACCESS_KEY_ID=$FERRY_KEY
export AWS_SECRET_ACCESS_KEY=$FERRY_SECRET
export AWS_REGION=$REGION
export AWS_DEFAULT_REGION=$REGION
export AWS_EC2_METADATA_DISABLED=true
export AWS_LOCAL_RGW_ENDPOINT=$ENDPOINT
export AWS_LOCAL_GATEWAY_ENDPOINT=http://127.0.0.1:$GATEWAY_PORT
export AWS_LOCAL_ADMIN_ACCESS_KEY_ID=$ADMIN_KEY
export AWS_LOCAL_ADMIN_SECRET_ACCESS_KEY=$ADMIN_SECRET
export AWS_LOCAL_ACCOUNT_ID=$ACCOUNT_ID
export AWS_LOCAL_FERRY_ARN=arn:aws:iam::$ACCOUNT_ID:user/ferry
export AWS_LOCAL_BUCKET=${BUCKETS[0]}
export AWS_LOCAL_DIR=$DIR
EOF
}

stop_all() {
  # Only the PIDs this script recorded; RGW first so it does not retry against a gone OSD.
  for d in rgw osd mon; do
    if alive "$d"; then
      local pid; pid=$(cat "$DIR/$d.pid")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$DIR/$d.pid"
  done
}

poll() { # poll <seconds> <command...>: 0 once the command succeeds, 1 on timeout
  local end=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -ge $end ] && return 1
    sleep 0.3
  done
}

wait_for() { # wait_for <seconds> <what> <command...>
  local secs=$1 what=$2; shift 2
  poll "$secs" "$@" || { log "timed out waiting for $what; logs in $DIR/log"; exit 1; }
}

start_osd() {
  setsid ceph-osd -f -i 0 > "$DIR/log/osd.out" 2>&1 < /dev/null 9>&- & echo $! > "$DIR/osd.pid"
}

# Only the packages this environment needs (scripts/install-test-deps.sh installs every test
# dependency, JDK included); idempotent and quiet when all are present.
install_packages() {
  local missing=() p
  for p in radosgw ceph-mon ceph-osd ceph-common uuid-runtime curl; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  local sudo=; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

start_all() {
  install_packages
  if curl -s -o /dev/null "$ENDPOINT/"; then
    log "port $RGW_PORT already answers but not from $DIR; stop that instance or set LOCAL_AWS_RGW_PORT"
    exit 1
  fi
  stop_all
  # A bring-up that fails half way stops the daemons it started, so no half cluster keeps
  # its ports (a retry, or another instance, can then start cleanly).
  trap 'log "bring-up failed; stopping the daemons it started"; stop_all' EXIT
  find "$DIR" -mindepth 1 -maxdepth 1 ! -name lock -exec rm -rf {} +
  mkdir -p "$DIR"/{run,log,mon,osd/osd.0,rgw}
  local fsid; fsid=$(uuidgen)
  local BIND_MIN=$((20000 + (RGW_PORT % 1000) * 40))
  # 16-byte STS key: RGW encrypts session tokens with it (docs.ceph.com/en/pacific/radosgw/STS/).
  local sts_key; sts_key=$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')
  cat > "$DIR/ceph.conf" <<CONF
[global]
fsid = $fsid
mon host = v1:127.0.0.1:$MON_PORT
auth cluster required = none
auth service required = none
auth client required = none
# One OSD: replicas of one, few placement groups, and a raised per-OSD PG cap, or RGW's
# pool creation is refused.
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
mon allow pool size one = true
mon max pg per osd = 1000
osd crush chooseleaf type = 0
# The OSD does not place itself in the CRUSH map at start-up: those commands are sent
# while its monitor client may not yet know the cluster id, and the monitor refuses them
# ("handle_command on fsid 00000000-… != <fsid>" in its log, "wrong fsid" in the OSD's),
# after which the OSD never comes up. The script places it before starting it.
osd crush update on start = false
osd class update on start = false
# Each instance binds its daemons in a port range of its own (Ceph's default 6800-7300 is
# shared by every cluster on the machine), so two instances (tests, benchmarks) never
# receive each other's messages.
ms bind port min = $BIND_MIN
ms bind port max = $((BIND_MIN + 39))
ms bind msgr2 = false
# Loopback only: nothing of this test cluster listens on the machine's other addresses.
public addr = 127.0.0.1
cluster addr = 127.0.0.1
osd objectstore = memstore
memstore device bytes = $MEM_BYTES
run dir = $DIR/run
# \$pid keeps radosgw-admin from fighting the running daemon for the admin socket.
admin socket = $DIR/run/\$name.\$pid.asok
log file = $DIR/log/\$name.log
mon data = $DIR/mon/\$name
osd data = $DIR/osd/\$name
keyring = $DIR/keyring
[client.rgw.a]
rgw data = $DIR/rgw/\$name
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT
rgw thread pool size = 64
rgw sts key = $sts_key
rgw s3 auth use sts = true
CONF
  export CEPH_CONF=$DIR/ceph.conf
  ceph-authtool --create-keyring "$DIR/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  monmaptool --create --addv a "v1:127.0.0.1:$MON_PORT" --fsid "$fsid" "$DIR/monmap" >/dev/null
  ceph-mon --mkfs -i a --monmap "$DIR/monmap" --keyring "$DIR/keyring" >&2
  # setsid: the daemons must outlive the shell (and the test runner) that started them.
  setsid ceph-mon -f -i a > "$DIR/log/mon.out" 2>&1 < /dev/null 9>&- & echo $! > "$DIR/mon.pid"
  wait_for 60 monitor timeout 5 ceph -s
  # Register osd.0 under an explicit uuid and make its store with the same one (a bare
  # `ceph osd create` + `--mkfs` leaves a nil OSD uuid). A monitor that answers `ceph -s`
  # may still refuse its first osd command for a moment, hence the retry.
  local osd_uuid; osd_uuid=$(uuidgen)
  wait_for 30 "osd id" timeout 10 ceph osd new "$osd_uuid" 0
  wait_for 30 "osd.0 in the CRUSH map" timeout 10 ceph osd crush add osd.0 1.0 root=default
  ceph-osd -i 0 --mkfs --osd-uuid "$osd_uuid" > "$DIR/log/osd-mkfs.out" 2>&1
  start_osd
  # Should a fresh OSD still never report "up" (before its CRUSH placement moved here, the
  # monitor now and then refused its start-up commands with "wrong fsid"), restarting the
  # OSD does not help: the whole cluster is made again from nothing, once.
  if ! poll 60 sh -c 'ceph osd stat | grep -q "1 up"'; then
    if [ -z "${LOCAL_AWS_RETRIED:-}" ]; then
      log "OSD not up after 60 s (see $DIR/log/osd.0.log); making the cluster again from nothing"
      trap - EXIT
      stop_all
      LOCAL_AWS_RETRIED=1 exec bash "$0" up
    fi
    log "OSD not up after a second bring-up"
    exit 1
  fi
  setsid radosgw -f -n client.rgw.a > "$DIR/log/rgw.out" 2>&1 < /dev/null 9>&- & echo $! > "$DIR/rgw.pid"
  wait_for 120 radosgw curl -sf -o /dev/null "$ENDPOINT/"
  local rgwadmin=(radosgw-admin -n client.rgw.a)
  # roles, users and user-policy caps let the admin call the IAM role and user-policy API
  # (CreateRole, PutRolePolicy, PutUserPolicy, ...) on the same port.
  "${rgwadmin[@]}" user create --uid=admin --display-name="local-aws admin" \
    --access-key=$ADMIN_KEY --secret=$ADMIN_SECRET --caps="roles=*;users=*;user-policy=*" >/dev/null
  # The Ferry server's ambient identity: what trust policies name as the principal.
  "${rgwadmin[@]}" user create --uid=ferry --display-name="ferry server" \
    --access-key=$FERRY_KEY --secret=$FERRY_SECRET >/dev/null
  for b in "${BUCKETS[@]}"; do
    # A PUT on /<bucket> is CreateBucket, signed by curl; RGW wants the payload hash header
    # (here the SHA-256 of the empty body), which curl 7.88 does not add by itself.
    curl -sf -o /dev/null -X PUT --aws-sigv4 "aws:amz:$REGION:s3" \
      -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
      --user "$ADMIN_KEY:$ADMIN_SECRET" "$ENDPOINT/$b"
  done
  trap - EXIT
}

cmd=${1:-}
case "$cmd" in
  up)
    mkdir -p "$DIR"
    exec 9> "$DIR/lock"
    flock 9   # concurrent `up`s from parallel test runs: the second waits, then reuses
    if running; then
      log "reusing the running instance in $DIR ($ENDPOINT)"
    else
      t0=$(date +%s.%N)
      log "starting Ceph mon + memstore OSD + radosgw in $DIR"
      start_all
      log "ready on $ENDPOINT in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s"
    fi
    print_exports
    ;;
  down)
    [ -d "$DIR" ] || exit 0
    exec 9> "$DIR/lock"
    flock 9
    stop_all
    log "stopped"
    ;;
  status)
    if running; then log "running on $ENDPOINT, state in $DIR"; exit 0; fi
    log "not running"; exit 1
    ;;
  env)
    print_exports
    ;;
  *)
    echo "usage: $0 up|down|status|env" >&2; exit 2
    ;;
esac
