#!/bin/sh
# A private PipeWire daemon for tests and benches: its runtime and configuration folders under
# DIR (no user's session touched, no D-Bus, no session manager), named NAME (the JACK server
# name its clients give), 48 kHz with the quantum fixed at QUANTUM frames. Runs in the
# foreground: start it with '&'. Clients reach it with
#   XDG_RUNTIME_DIR=DIR/run PIPEWIRE_RUNTIME_DIR=DIR/run LD_LIBRARY_PATH=$(sh $0 --libjack)
# (what pw-jack does), and connect their own ports; PipeWire drives a node that has no other
# driver from its dummy driver.
#   sh tools/pipewire-private.sh DIR NAME QUANTUM
#   sh tools/pipewire-private.sh --libjack      the folder of PipeWire's libjack
set -eu
libjack=/usr/lib/$(gcc -dumpmachine 2>/dev/null || echo x86_64-linux-gnu)/pipewire-0.3/jack
if [ "${1:-}" = --libjack ]; then
    echo "$libjack"
    exit 0
fi
[ $# -eq 3 ] || { echo "usage: pipewire-private.sh DIR NAME QUANTUM" >&2; exit 2; }
[ -e "$libjack/libjack.so.0" ] || {
    echo "pipewire-private.sh: PipeWire's JACK library is missing ($libjack): apt-get install pipewire-jack" >&2
    exit 1
}
mkdir -p "$1/run" "$1/cfg/pipewire/pipewire.conf.d"
chmod 700 "$1/run"
cat >"$1/cfg/pipewire/pipewire.conf.d/private.conf" <<EOF
context.properties = {
    core.name = $2
    default.clock.rate = 48000
    default.clock.allowed-rates = [ 48000 ]
    default.clock.quantum = $3
    default.clock.min-quantum = $3
    default.clock.max-quantum = $3
    support.dbus = false
}
EOF
XDG_RUNTIME_DIR="$1/run" PIPEWIRE_RUNTIME_DIR="$1/run" XDG_CONFIG_HOME="$1/cfg" exec pipewire
