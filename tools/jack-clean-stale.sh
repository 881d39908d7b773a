#!/bin/sh
# Remove stale JACK2 state before a test starts its own private jackd.
#
# JACK2 keeps a registry of running servers in /dev/shm (jack-shm-registry; at most 8 servers)
# plus per-server semaphores and segments. A server killed with SIGKILL never unregisters (our
# crash tests kill servers on purpose), and once the registry fills up no server starts at all:
# "Too many servers already active". When no JACK server process is alive, all of that state is
# stale by definition, so it is removed. With any jackd/jackdbus alive (a user's session) this does
# nothing. Only files of the current user are touched.
set -u
if pgrep -x jackd >/dev/null 2>&1 || pgrep -x jackdbus >/dev/null 2>&1; then
    exit 0
fi
[ -d /dev/shm ] || exit 0
find /dev/shm -maxdepth 1 -user "$(id -u)" \( -name 'jack-shm-registry' -o -name 'jack_sem.*' \
    -o -name 'jack-[0-9]*' -o -name 'jack_db-*' -o -name 'jack_*_[0-9]*_[0-9]*' \) \
    -exec rm -rf {} + 2>/dev/null
exit 0
