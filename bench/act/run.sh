#!/usr/bin/env bash
# The gateway under load: DEVICES simulated devices (default 500) publish RATE messages/s
# each (default 20) for SECONDS (default 60) through a local mosquitto into one gateway
# (SQLite, synchronous=FULL), then into two gateways sharing the subscription. Prints the
# stored count against what the broker acknowledged, the sustained throughput and the
# delivery latency. Everything runs on 127.0.0.1; it stops by itself.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=../lib.sh
source bench/lib.sh
DEVICES=${DEVICES:-500} RATE=${RATE:-20} SECONDS_=${SECONDS:-60}
install_missing mosquitto libmosquitto-dev libsqlite3-dev libpq-dev libcpp-httplib-dev libssl-dev
build_release tinyml fleet_load
bin=build/release/src/tinyml load=build/release/bench/fleet_load
work=$(mktemp -d /tmp/tinyml-act-bench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
ulimit -n 4096 2>/dev/null || true

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
       echo $((20000 + RANDOM % 20000)))
cat >"$work/mosquitto.conf" <<CONF
listener $port 127.0.0.1
allow_anonymous true
max_queued_messages 0
max_inflight_messages 100
max_connections -1
persistence false
$( [ "$(id -u)" = 0 ] && echo "user root" )
CONF
mosquitto -c "$work/mosquitto.conf" >"$work/mosquitto.log" 2>&1 & pids+=($!)
sleep 1

# Starts a gateway (client id $1, database $2) and waits until it listens.
start_gateway() {
  "$bin" gateway --broker "127.0.0.1:$port" --client-id "$1" --db "$2" --allow 'sim-*' --http 127.0.0.1:0 \
    --ready-file "$work/$1.ready" --open-read >"$work/$1.log" 2>&1 & pids+=($!)
  for _ in $(seq 100); do [ -f "$work/$1.ready" ] && return 0; sleep 0.1; done
  log "gateway $1 did not start"; cat "$work/$1.log"; exit 1
}
# Waits until the databases hold $1 readings (at most 120 s).
wait_stored() {
  local want=$1; shift
  for _ in $(seq 240); do
    local n=0 db
    for db in "$@"; do n=$((n + $(sqlite3 "$db" 'select count(*) from readings' 2>/dev/null || echo 0))); done
    [ "$n" -ge "$want" ] && return 0
    sleep 0.5
  done
}

run_phase() {  # $1: label, then client id:db pairs
  local label=$1; shift
  local dbs=() pair
  for pair in "$@"; do start_gateway "${pair%%:*}" "${pair#*:}"; dbs+=("${pair#*:}"); done
  log "$label: $DEVICES devices x $RATE msg/s x $SECONDS_ s"
  "$load" publish --broker "127.0.0.1:$port" --devices "$DEVICES" --rate "$RATE" --seconds "$SECONDS_" | tee "$work/publish.txt"
  local acked
  acked=$(sed -n 's/.*acknowledged by the broker \([0-9]*\).*/\1/p' "$work/publish.txt")
  wait_stored "$acked" "${dbs[@]}" || true
  "$load" report "${dbs[@]}"
  local stored=0 db
  for db in "${dbs[@]}"; do stored=$((stored + $(sqlite3 "$db" 'select count(*) from readings'))); done
  if [ "$stored" -eq "$acked" ]; then echo "$label: count check passed: $stored stored = $acked acknowledged by the broker"
  else echo "$label: COUNT CHECK FAILED: $stored stored, $acked acknowledged by the broker"; fi
  for p in "${pids[@]:1}"; do kill "$p" 2>/dev/null || true; done
  pids=("${pids[0]}")
  sleep 1
}

install_missing sqlite3
run_phase "one gateway" "gw1:$work/one.db"
run_phase "two gateways sharing \$share/tinyml" "gwa:$work/a.db" "gwb:$work/b.db"
