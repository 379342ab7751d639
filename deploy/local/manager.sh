#!/usr/bin/env bash
# Start or stop one local manager with an embedded etcd in front of the test
# bed's engines.
#   manager.sh up   <ip:port> <run dir>
#   manager.sh down <ip:port> <run dir>
set -euo pipefail
cmd=${1:?up or down}; addr=${2:?ip:port}; dir=${3:?run dir}
here=$(cd "$(dirname "$0")" && pwd)
bin=${DROVER_BIN:-$here/../../bin/drover}
pidfile=$dir/manager.pid

stop() {
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    kill "$(cat "$pidfile")"
    for _ in $(seq 1 50); do kill -0 "$(cat "$pidfile")" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$pidfile"
}

case $cmd in
up)
  stop
  mkdir -p "$dir"
  nodes=$("$here/testbed.sh" env)
  setsid "$bin" manage -H "$addr" --data-dir "$dir/etcd" "nodes://$nodes" >"$dir/manager.log" 2>&1 </dev/null &
  echo $! >"$pidfile"
  for _ in $(seq 1 100); do
    if curl -fsS --max-time 1 "http://$addr/_ping" >/dev/null 2>&1; then
      # Wait until every engine has been read, so the first command sees them all.
      for _ in $(seq 1 50); do
        [ "$(DOCKER_HOST=tcp://$addr docker info --format '{{.NCPU}}' 2>/dev/null)" != 0 ] && break
        sleep 0.1
      done
      echo "Drover manager on tcp://$addr in front of $nodes (log: $dir/manager.log)"
      echo
      echo "    export DOCKER_HOST=tcp://$addr"
      echo
      echo "then: docker info, docker run -d busybox sleep 60, docker ps …   (make down stops it all)"
      exit 0
    fi
    kill -0 "$(cat "$pidfile")" 2>/dev/null || break
    sleep 0.1
  done
  tail -20 "$dir/manager.log" >&2
  echo "manager did not start" >&2
  exit 1
  ;;
down)
  stop
  rm -rf "$dir"
  ;;
*) echo "usage: manager.sh up|down <ip:port> <run dir>" >&2; exit 2 ;;
esac
