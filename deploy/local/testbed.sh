#!/usr/bin/env bash
# The real-engine test bed: N Docker engines side by side on one machine.
#
#   testbed.sh up [N]      install what is missing, start engines 1..N (default 3), load images
#   testbed.sh down        stop exactly what `up` started, remove its bridges and data
#   testbed.sh status      one line per engine
#   testbed.sh env         the engine addresses, for scripts
#   testbed.sh label I k=v … set engine I's labels beyond its own (reloaded live, no restart)
#
# Engine i runs one dockerd with its own data root, exec root, pidfile, unix socket,
# bridge br-e<i> (10.213.<i>.1/24), hostname node-<i>, key (so a distinct engine ID),
# label testbed.node=node-<i> and listens on tcp://127.0.0.1<i>:2375; published
# ports bind on 127.0.0.1<i>. Pulls fail at once (the proxy points at a closed
# port): every image is built offline from busybox-static. `up` is idempotent and
# recovers from a crash (stale pidfiles, leftover bridges and mounts).
set -euo pipefail

STATE=${DROVER_TESTBED_DIR:-/var/tmp/drover-testbed}
DEAD_PROXY=http://127.0.0.1:9

log() { printf 'testbed: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (it starts dockerd and creates bridges)"

engine_ip() { echo "127.0.0.1$1"; }
engine_addr() { echo "$(engine_ip "$1"):2375"; }

install_packages() {
  local missing=()
  command -v dockerd >/dev/null || missing+=(docker.io)
  [ -x /bin/busybox ] && /bin/busybox --list 2>/dev/null | grep -qx sh || missing+=(busybox-static)
  command -v ip >/dev/null || missing+=(iproute2)
  command -v unshare >/dev/null || missing+=(util-linux)
  command -v curl >/dev/null || missing+=(curl)
  [ ${#missing[@]} -eq 0 ] && return
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

engine_ready() { curl -fsS --max-time 2 "http://$(engine_addr "$1")/_ping" >/dev/null 2>&1; }

# storage_driver picks overlay2 where the data root can carry it, vfs elsewhere.
storage_driver() {
  local probe="$STATE/overlay-probe"
  rm -rf "$probe"; mkdir -p "$probe"/{l,u,w,m}
  if mount -t overlay overlay -o "lowerdir=$probe/l,upperdir=$probe/u,workdir=$probe/w" "$probe/m" 2>/dev/null; then
    umount "$probe/m"; rm -rf "$probe"; echo overlay2
  else
    rm -rf "$probe"; echo vfs
  fi
}

# cleanup_engine removes what a crashed or stopped engine i left behind.
cleanup_engine() {
  local i=$1 dir="$STATE/e$i"
  if pid_alive "$dir/dockerd.pid"; then
    local pid; pid=$(cat "$dir/dockerd.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  # Container shims and the engine's own containerd outlive a killed dockerd.
  pkill -9 -f -- "$dir/exec" 2>/dev/null || true
  if [ -d "$dir" ]; then
    { grep -F " $dir/" /proc/mounts || true; } | awk '{print $2}' | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  fi
  ip link show "br-e$i" >/dev/null 2>&1 && ip link del "br-e$i" || true
}

start_engine() {
  local i=$1 driver=$2 dir="$STATE/e$i"
  if pid_alive "$dir/dockerd.pid" && engine_ready "$i"; then
    log "engine $i already running"; return
  fi
  cleanup_engine "$i"
  mkdir -p "$dir"/{data,exec}
  ip link add "br-e$i" type bridge
  ip addr add "10.213.$i.1/24" dev "br-e$i"
  ip link set "br-e$i" up
  write_config "$i"
  log "starting engine $i on tcp://$(engine_addr "$i") ($driver)"
  HTTP_PROXY=$DEAD_PROXY HTTPS_PROXY=$DEAD_PROXY NO_PROXY= \
    setsid unshare -u sh -c "hostname node-$i; exec dockerd \
      --config-file $dir/daemon.json \
      --data-root $dir/data --exec-root $dir/exec --pidfile $dir/dockerd.pid \
      -H unix://$dir/docker.sock -H tcp://$(engine_addr "$i") \
      -b br-e$i --iptables=false --ip-masq=false --ip $(engine_ip "$i") \
      --storage-driver $driver \
" \
    >"$dir/dockerd.log" 2>&1 </dev/null &
}

wait_engine() {
  local i=$1
  for _ in $(seq 1 300); do engine_ready "$i" && return; sleep 0.1; done
  tail -20 "$STATE/e$i/dockerd.log" >&2 || true
  die "engine $i did not answer on $(engine_addr "$i")"
}

# build_images writes the two offline images as tarballs: busybox (a shell and
# its applets) and tiny (busybox plus a marker, so a different image ID).
build_images() {
  local out="$STATE/images"
  [ -f "$out/busybox.tar" ] && [ -f "$out/tiny.tar" ] && return
  mkdir -p "$out"
  local root; root=$(mktemp -d)
  mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/var" "$root/proc" "$root/sys" "$root/dev"
  cp /bin/busybox "$root/bin/busybox"
  for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
  done
  echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
  echo 'root:x:0:' >"$root/etc/group"
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$root" -cf "$out/busybox.tar" .
  echo "tiny" >"$root/hello"
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$root" -cf "$out/tiny.tar" .
  rm -rf "$root"
}

# load_images gives every engine the same two images, with the same IDs (as
# pulling from one registry would): engine 1 imports the tarballs, the others
# load what engine 1 saved.
load_images() {
  local i=$1 host="tcp://$(engine_addr "$1")" first="tcp://$(engine_addr 1)"
  if DOCKER_HOST=$host docker image inspect busybox:latest tiny:latest >/dev/null 2>&1; then
    return
  fi
  if [ "$i" = 1 ]; then
    DOCKER_HOST=$host docker import -c 'CMD ["sh"]' - busybox:latest <"$STATE/images/busybox.tar" >/dev/null
    DOCKER_HOST=$host docker import -c 'CMD ["sh"]' - tiny:latest <"$STATE/images/tiny.tar" >/dev/null
    return
  fi
  DOCKER_HOST=$first docker save busybox:latest tiny:latest | DOCKER_HOST=$host docker load >/dev/null
}

# write_config writes engine i's daemon.json: its own key, and its labels.
write_config() {
  local i=$1 dir="$STATE/e$1"; shift
  local labels="\"testbed.node=node-$i\", \"testbed.index=$i\""
  for l in "$@"; do labels="$labels, \"$l\""; done
  printf '{"deprecated-key-path": "%s/key.json", "labels": [%s]}\n' "$dir" "$labels" >"$dir/daemon.json"
}

# cmd_label replaces engine i's extra labels; dockerd reloads labels on SIGHUP.
cmd_label() {
  local i=${1:?engine index}; shift
  local dir="$STATE/e$i"
  pid_alive "$dir/dockerd.pid" || die "engine $i is not running"
  write_config "$i" "$@"
  kill -HUP "$(cat "$dir/dockerd.pid")"
  # The engine may list its labels in any order: compare them sorted.
  sorted() { tr , '\n' | sort | paste -sd, -; }
  local want got; want=$(IFS=,; echo "testbed.node=node-$i,testbed.index=$i${*:+,$*}" | sorted)
  for _ in $(seq 1 300); do
    got=$(DOCKER_HOST=tcp://$(engine_addr "$i") docker info --format '{{join .Labels ","}}' 2>&1 | sorted) || true
    [ "$got" = "$want" ] && return
    sleep 0.1
  done
  die "engine $i did not take labels $want: it has $got"
}

engines() { ls -d "$STATE"/e[0-9]* 2>/dev/null | sed 's/.*\/e//' | sort -n; }

cmd_up() {
  local n=${1:-3}
  install_packages
  mkdir -p "$STATE"
  local driver; driver=$(storage_driver)
  # Stale engines above N from an earlier, larger bed would confuse a cluster.
  for i in $(engines); do [ "$i" -le "$n" ] || cleanup_engine "$i"; done
  for i in $(seq 1 "$n"); do start_engine "$i" "$driver"; done
  build_images
  for i in $(seq 1 "$n"); do wait_engine "$i"; load_images "$i"; done
  for i in $(seq 1 "$n"); do echo "$(engine_addr "$i")"; done >"$STATE/engines"
  log "$n engines up: $(paste -sd, "$STATE/engines")"
}

cmd_down() {
  for i in $(engines); do cleanup_engine "$i"; done
  rm -rf "$STATE"
  log "down"
}

cmd_status() {
  for i in $(engines); do
    if engine_ready "$i"; then echo "node-$i tcp://$(engine_addr "$i") up"; else echo "node-$i tcp://$(engine_addr "$i") down"; fi
  done
}

case ${1:-} in
  up) shift; cmd_up "$@" ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) paste -sd, "$STATE/engines" ;;
  label) shift; cmd_label "$@" ;;
  *) die "usage: testbed.sh up [N] | down | status | env | label I [k=v …]" ;;
esac
