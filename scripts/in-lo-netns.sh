#!/usr/bin/env bash
# scripts/in-lo-netns.sh <command> [args...]
#
# Runs <command> inside a fresh network namespace whose only interface is `lo`
# (up, IPv4 127.0.0.1 only: IPv6 disabled so ::1 is not offered either). Every
# WebRTC stack gathers candidates on all interfaces; inside this namespace
# there is nothing but loopback, so servers, browsers and peers started by
# <command> can only talk to each other over 127.0.0.1.
# See /work/shared/notes/webrtc-on-loopback.md.
#
# - root: `unshare --net`; otherwise `unshare --user --map-root-user --net`.
# - The environment is passed through unchanged (plus DUET_LO_NETNS=1, so a
#   harness can tell it is inside), and the command's exit code is returned
#   (the command replaces this process via exec).
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: $0 <command> [args...]" >&2
  exit 2
fi

# ip/sysctl live in /usr/sbin, which a non-root PATH may lack; extend PATH only
# for those two commands, not for <command>.
# shellcheck disable=SC2016 # $PATH and $@ are expanded by the inner sh
INNER='PATH="$PATH:/usr/sbin:/sbin" ip link set lo up &&
PATH="$PATH:/usr/sbin:/sbin" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.lo.disable_ipv6=1 &&
exec "$@"'

export DUET_LO_NETNS=1
if [ "$(id -u)" = 0 ]; then
  exec unshare --net -- sh -c "$INNER" sh "$@"
else
  exec unshare --user --map-root-user --net -- sh -c "$INNER" sh "$@"
fi
