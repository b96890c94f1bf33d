#!/usr/bin/env bash
# Side-by-side benchmark: PocketBase, Growth and a bare handler (the ceiling), in
# one run, alternating, so that the ratios hold even though absolute figures move
# from run to run (docs/performance.md, "Side by side with PocketBase").
#
#   bench/peer/run.sh [N] [C] [ROUNDS]        from the project root; `task peer`
#
# N creates then N filtered lists (20 a page, no total) at concurrency C, with
# `hey` (Debian package hey), ROUNDS times each. Every round starts each server on
# a fresh database. Prints each round, the medians and the ratios; a Growth
# server on SQLite also prints how many writes its group commits held on
# average (writes_per_group, from /metrics), one on PostgreSQL how many creates
# its batches held (creates_per_batch).
#
# Environment:
#   PEER_PG=postgres://…     also run Growth on PostgreSQL (a fresh schema per round);
#                            with PostgreSQL on this machine, its backends' CPU per
#                            request is printed too (create_db_cpu_ms, list_db_cpu_ms)
#   PEER_PB_VERSION=v0.36.8  the PocketBase module version to build
#   PEER_BIN=DIR             reuse binaries built before into DIR (else a temp dir)
#   PEER_BEFORE=FILE         also run this other growth binary, as "before" (and, with
#                            PEER_PG, "before-pg"), alternating with this checkout's
#   PEER_ONLY="growth …"     run only these servers (pocketbase growth before ceiling
#                            growth-pg before-pg)
#   PEER_PROFILE=DIR         write a 10 s CPU profile of growth serve under the create
#                            and the list load into DIR (growth serve --pprof)
#
# PocketBase is built from its Go module (github.com/pocketbase/pocketbase, the
# plain pocketbase.New().Start() main its documentation shows) into a temporary
# directory: nothing of it is kept in this repository.
set -euo pipefail
N=${1:-10000}; C=${2:-50}; R=${3:-3}
root=$(cd "$(dirname "$0")/../.." && pwd)
here="$root/bench/peer"
cd "$root"
command -v hey >/dev/null || { echo "hey is needed: apt-get install -y hey" >&2; exit 1; }
work=$(mktemp -d)
bin=${PEER_BIN:-$work/bin}
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
only=${PEER_ONLY:-pocketbase growth ceiling${PEER_PG:+ growth-pg}${PEER_BEFORE:+ before}}
[ -n "${PEER_PG:-}" ] && [ -n "${PEER_BEFORE:-}" ] && [ -z "${PEER_ONLY:-}" ] && only="$only before-pg"
wanted() { [[ " $only " == *" $1 "* ]]; }

build() {
  mkdir -p "$bin"
  if wanted pocketbase && [ ! -x "$bin/pocketbase" ]; then
    local v=${PEER_PB_VERSION:-v0.36.8} src="$work/pbsrc"
    mkdir -p "$src"
    cat >"$src/main.go" <<'GO'
package main

import (
	"log"

	"github.com/pocketbase/pocketbase"
)

func main() {
	if err := pocketbase.New().Start(); err != nil {
		log.Fatal(err)
	}
}
GO
    echo "building PocketBase $v from its Go module (a few minutes the first time)" >&2
    (cd "$src" && go mod init peerbench/pocketbase >/dev/null 2>&1 \
      && go get "github.com/pocketbase/pocketbase@$v" >/dev/null 2>&1 \
      && go mod tidy >/dev/null 2>&1 && go build -o "$bin/pocketbase" .) \
      || { echo "building PocketBase $v failed" >&2; exit 1; }
  fi
  [ -x "$bin/ceiling" ] || go build -o "$bin/ceiling" ./bench/peer/ceiling
  [ -n "${PEER_BIN:-}" ] && [ -x "$bin/growth" ] || go build -o "$bin/growth" ./cmd/growth
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up() { for _ in $(seq 1 150); do curl -fs "$1" >/dev/null 2>&1 && return 0; sleep 0.2; done; echo "no answer from $1" >&2; return 1; }
rate() { awk '/Requests\/sec/ {print $2}'; }
# cpu PID: the CPU time the process has used, in clock ticks
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# dbcpu: "pid ticks" of each PostgreSQL backend whose application_name is
# $DBAPP (the Growth server under load on PostgreSQL), when PostgreSQL runs on
# this machine; nothing otherwise.
dbcpu() {
  [ -n "${DBAPP:-}" ] || return 0
  for p in $(psql "$PEER_PG" -Atqc "SELECT pid FROM pg_stat_activity WHERE application_name = '$DBAPP'"); do
    [ -r "/proc/$p/stat" ] && echo "$p $(awk '{print $14 + $15}' "/proc/$p/stat")"
  done
  return 0
}
# dbms BEFORE AFTER: the backends' CPU between two dbcpu snapshots, in ms per request
dbms() {
  awk -v n="$N" -v hz="$(getconf CLK_TCK)" 'NR == FNR {b[$1] = $2; next} {s += $2 - ($1 in b ? b[$1] : 0)} END {printf "%.3f", s*1000/hz/n}' \
    <(echo "$1") <(echo "$2")
}
# load PID URL_CREATE BODY URL_LIST [HEADER…]: prints the figures of one server,
# "creates/s=… list/s=… create_cpu_ms=… list_cpu_ms=…", the CPU time being the
# server process's own per request (what the load of other processes changes least);
# on PostgreSQL also "create_db_cpu_ms=… list_db_cpu_ms=…", its backends' CPU per request
load() {
  local pid=$1 create=$2 body=$3 list=$4; shift 4
  local h=() c l t0 t1 t2 d0 d1 d2 hz; hz=$(getconf CLK_TCK)
  for x in "$@"; do h+=(-H "$x"); done
  t0=$(cpu "$pid"); d0=$(dbcpu)
  c=$(hey -n "$N" -c "$C" -m POST -T application/json "${h[@]}" -d "$body" "$create" | rate)
  t1=$(cpu "$pid"); d1=$(dbcpu)
  l=$(hey -n "$N" -c "$C" "${h[@]}" "$list" | rate)
  t2=$(cpu "$pid"); d2=$(dbcpu)
  local db=""
  [ -n "${DBAPP:-}" ] && db=" create_db_cpu_ms=$(dbms "$d0" "$d1") list_db_cpu_ms=$(dbms "$d1" "$d2")"
  echo "creates/s=$c list/s=$l create_cpu_ms=$(awk -v a="$t0" -v b="$t1" -v n="$N" -v hz="$hz" 'BEGIN {printf "%.3f", (b-a)*1000/hz/n}') list_cpu_ms=$(awk -v a="$t1" -v b="$t2" -v n="$N" -v hz="$hz" 'BEGIN {printf "%.3f", (b-a)*1000/hz/n}')$db"
}
stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
rss_mb() { awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$1/status" 2>/dev/null || echo "?"; }

run_pocketbase() {
  local dir="$work/pb" port; port=$(free_port); rm -rf "$dir"; mkdir -p "$dir"
  "$bin/pocketbase" superuser upsert bench@example.com benchpassword123 --dir "$dir/data" >/dev/null
  "$bin/pocketbase" serve --http "127.0.0.1:$port" --dir "$dir/data" >"$dir/log" 2>&1 &
  local pid=$!; pids+=("$pid")
  wait_up "http://127.0.0.1:$port/api/health"
  local tok; tok=$(curl -fs -X POST "http://127.0.0.1:$port/api/collections/_superusers/auth-with-password" \
    -H 'Content-Type: application/json' -d '{"identity":"bench@example.com","password":"benchpassword123"}' \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
  curl -fs -X POST "http://127.0.0.1:$port/api/collections" -H "Authorization: $tok" -H 'Content-Type: application/json' -d '{
    "name":"indicator","type":"base","createRule":"@request.body.amount > 0","listRule":"","viewRule":"",
    "fields":[{"name":"year","type":"number","required":true},{"name":"agency","type":"text","required":true},
              {"name":"func_class","type":"text"},{"name":"amount","type":"number","required":true}],
    "indexes":["CREATE INDEX idx_ind_agency ON indicator (agency)"]}' >/dev/null
  local r; r=$(load "$pid" "http://127.0.0.1:$port/api/collections/indicator/records" \
    '{"year":2026,"agency":"101001","func_class":"2050201","amount":123456.78}' \
    "http://127.0.0.1:$port/api/collections/indicator/records?perPage=20&skipTotal=1&filter=agency%3D%27101001%27")
  local n; n=$(curl -fs "http://127.0.0.1:$port/api/collections/indicator/records?perPage=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["totalItems"])')
  echo "pocketbase $r records=$n rss_mb=$(rss_mb "$pid")"
  stop "$pid"
}

# run_growth NAME DB_URL [GROWTH_BINARY]
run_growth() {
  local name=$1 db=$2 g=${3:-$bin/growth} dir="$work/g" port; port=$(free_port); rm -rf "$dir"; mkdir -p "$dir/defs/bench"
  cp -r definitions/basedata "$dir/defs/" && cp "$here/app.yaml" "$dir/defs/bench/"
  [ "$db" = sqlite ] && db="sqlite:$dir/g.db"
  echo 'bench-pass-123456' | "$g" user add bench --role bench.clerk --org 101 --db "$db" --definitions "$dir/defs" >/dev/null
  local prof=()
  [ -n "${PEER_PROFILE:-}" ] && prof=(--pprof "127.0.0.1:$(free_port)")
  "$g" serve --addr "127.0.0.1:$port" --db "$db" --definitions "$dir/defs" "${prof[@]}" >"$dir/log" 2>&1 &
  local pid=$!; pids+=("$pid")
  wait_up "http://127.0.0.1:$port/healthz"
  local base="http://127.0.0.1:$port/api/bench/item" tok
  tok=$(curl -fs -X POST "http://127.0.0.1:$port/api/auth/login" -H 'Content-Type: application/json' \
    -d '{"username":"bench","password":"bench-pass-123456"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
  local body='{"year":2026,"agency":"101001","func_class":"2050201","amount":"123456.78"}' code
  code=$(curl -s -o "$dir/one" -w '%{http_code}' -X POST -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' -d "$body" "$base")
  [ "$code" = 201 ] || { echo "growth create answered $code: $(cat "$dir/one")" >&2; exit 1; }
  local list="$base?page_size=20&filter=agency%20%3D%20%27101001%27"
  if [ -n "${PEER_PROFILE:-}" ]; then
    local pp=${prof[1]}; mkdir -p "$PEER_PROFILE"
    curl -fs -o "$PEER_PROFILE/$name-create.pprof" "http://$pp/debug/pprof/profile?seconds=10" &
    local cp=$!
    hey -z 10s -c "$C" -m POST -T application/json -H "Authorization: Bearer $tok" -d "$body" "$base" >/dev/null
    wait "$cp"
    curl -fs -o "$PEER_PROFILE/$name-list.pprof" "http://$pp/debug/pprof/profile?seconds=10" &
    cp=$!
    hey -z 10s -c "$C" -H "Authorization: Bearer $tok" "$list" >/dev/null
    wait "$cp"
  fi
  local r; r=$(load "$pid" "$base" "$body" "$list" "Authorization: Bearer $tok")
  local n; n=$(curl -fs -H "Authorization: Bearer $tok" "$base?page_size=1&total=true" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("total"))')
  # On SQLite: the writes per group commit, from /metrics (growth_sqlite_*)
  # On PostgreSQL: the creates per batch (growth_pg_*)
  local grp; grp=$(curl -fs "http://127.0.0.1:$port/metrics" | awk '/^growth_sqlite_write_groups_total/ {g = $2} /^growth_sqlite_grouped_writes_total/ {w = $2}
    /^growth_pg_create_batches_total/ {b = $2} /^growth_pg_batched_creates_total/ {c = $2}
    END {if (g > 0) printf " writes_per_group=%.1f", w / g; if (b > 0) printf " creates_per_batch=%.1f", c / b}')
  echo "$name $r records=$n rss_mb=$(rss_mb "$pid")$grp"
  stop "$pid"
}

run_ceiling() {
  local dir="$work/b" port; port=$(free_port); rm -rf "$dir"; mkdir -p "$dir"
  "$bin/ceiling" --addr "127.0.0.1:$port" --db "$dir/b.db" >"$dir/log" 2>&1 &
  local pid=$!; pids+=("$pid")
  wait_up "http://127.0.0.1:$port/records?agency=x"
  local r; r=$(load "$pid" "http://127.0.0.1:$port/records" \
    '{"year":2026,"agency":"101001","func_class":"2050201","amount":"123456.78"}' \
    "http://127.0.0.1:$port/records?agency=101001")
  echo "ceiling $r rss_mb=$(rss_mb "$pid")"
  stop "$pid"
}

# run_growth_pg NAME [GROWTH_BINARY]
run_growth_pg() {
  local schema; schema="peer_$(date +%s%N)"
  psql "$PEER_PG" -qc "CREATE SCHEMA $schema" >/dev/null
  local sep='?'; [[ "$PEER_PG" == *\?* ]] && sep='&'
  DBAPP=$schema run_growth "$1" "$PEER_PG${sep}search_path=$schema&application_name=$schema" "${2:-}"
  PGOPTIONS="-c client_min_messages=warning" psql "$PEER_PG" -qc "DROP SCHEMA $schema CASCADE" >/dev/null
}

build
out="$work/results"
echo "side by side: n=$N c=$C rounds=$R servers: $only" >&2
for r in $(seq 1 "$R"); do
  wanted pocketbase && run_pocketbase | tee -a "$out"
  wanted growth && run_growth growth sqlite | tee -a "$out"
  wanted before && run_growth before sqlite "$PEER_BEFORE" | tee -a "$out"
  wanted growth-pg && run_growth_pg growth-pg | tee -a "$out"
  wanted before-pg && run_growth_pg before-pg "$PEER_BEFORE" | tee -a "$out"
  wanted ceiling && run_ceiling | tee -a "$out"
done
python3 - "$out" <<'PY'
import re, statistics, sys
keys = ("creates/s", "list/s", "create_cpu_ms", "list_cpu_ms")
runs = {}
for line in open(sys.argv[1]):
    name, *fields = line.split()
    vals = dict(f.split("=", 1) for f in fields if "=" in f)
    if all(k in vals for k in keys):
        runs.setdefault(name, []).append([float(vals[k]) for k in keys])
med = {k: [statistics.median(r[i] for r in v) for i in range(len(keys))] for k, v in runs.items()}
db = {}
for line in open(sys.argv[1]):
    name, *fields = line.split()
    vals = dict(f.split("=", 1) for f in fields if "=" in f)
    if "list_db_cpu_ms" in vals:
        db.setdefault(name, []).append((float(vals["create_db_cpu_ms"]), float(vals["list_db_cpu_ms"])))
for k, m in med.items():
    extra = ""
    if k in db:
        extra = f" create_db_cpu_ms={statistics.median(d[0] for d in db[k]):.3f} list_db_cpu_ms={statistics.median(d[1] for d in db[k]):.3f}"
    print(f"median {k}: creates/s={m[0]:.0f} list/s={m[1]:.0f} create_cpu_ms={m[2]:.3f} list_cpu_ms={m[3]:.3f}{extra}")
for g in ("growth", "growth-pg"):
    for other in ("pocketbase", "before", "before-pg", "ceiling", "growth"):
        if g != other and g in med and other in med and not (g == "growth" and other == "before-pg"):
            a, b = med[g], med[other]
            print(f"{g}/{other}: creates {a[0]/b[0]:.2f}x lists {a[1]/b[1]:.2f}x; CPU per request: creates {a[2]/b[2]:.2f}x lists {a[3]/b[3]:.2f}x")
PY
