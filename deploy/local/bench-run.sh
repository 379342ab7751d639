#!/usr/bin/env bash
# bench-run.sh N: median wall time of `docker run -d busybox true`, N times
# through a manager and N times straight to one engine of the test bed.
set -euo pipefail
n=${1:-20}
here=$(cd "$(dirname "$0")" && pwd)
addr=127.0.0.1:4100
dir=/var/tmp/drover-bench
engine=$("$here/testbed.sh" env | cut -d, -f1)
docker=/usr/bin/docker

"$here/manager.sh" up "$addr" "$dir" >/dev/null
trap '"$here/manager.sh" down "$addr" "$dir"' EXIT

median_ms() { # host
  local times=()
  for _ in $(seq 1 "$n"); do
    local t0 t1
    t0=$(date +%s%N)
    DOCKER_HOST=tcp://$1 $docker run -d busybox true >/dev/null
    t1=$(date +%s%N)
    times+=($(((t1 - t0) / 1000)))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {m = (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2; printf "%.1f", m/1000}'
}

# wall_ms hosts k: wall time of k concurrent runs, dealt round-robin over
# the comma-separated hosts.
wall_ms() {
  local t0 t1 hosts
  IFS=, read -ra hosts <<<"$1"
  t0=$(date +%s%N)
  for i in $(seq 1 "$2"); do
    DOCKER_HOST=tcp://${hosts[$((i % ${#hosts[@]}))]} $docker run -d busybox true >/dev/null &
  done
  wait
  t1=$(date +%s%N)
  echo $(((t1 - t0) / 1000000))
}

direct=$(median_ms "$engine")
through=$(median_ms "$addr")
one=$(wall_ms "$addr" 1)
three=$(wall_ms "$addr" 3)
twenty=$(wall_ms "$addr" 20)
twenty_direct=$(wall_ms "$("$here/testbed.sh" env)" 20)
for h in $("$here/testbed.sh" env | tr , ' '); do
  ids=$(DOCKER_HOST=tcp://$h $docker ps -aq --filter status=exited)
  [ -z "$ids" ] || DOCKER_HOST=tcp://$h $docker rm $ids >/dev/null
done
echo "docker run -d busybox true, median of $n:"
echo "  straight to $engine: ${direct} ms"
echo "  through the manager: ${through} ms"
awk -v a="$through" -v b="$direct" 'BEGIN {printf "  ratio: %.2f\n", a/b}'
echo "concurrent docker run -d through the manager (wall time):"
echo "  1: ${one} ms   3: ${three} ms   20: ${twenty} ms"
echo "  20 straight to the engines, round-robin: ${twenty_direct} ms"
