#!/bin/bash
# Stage 2 of the nested KVM test host's L1: PID 1 after l1-init.sh's
# switch_root into the machine's root file system.  run.sh copies this file
# into the run's state directory (/run/kvmhost here) next to:
#   job       shell assignments: CWD, BUILD (the checkout's build/ or ""),
#             INTERACTIVE (0/1), PASS_ENV (exported variables)
#   cmd       the command line, one argument per NUL-terminated string
# and reads back what this script leaves there:
#   ready     the L1 is up and /dev/kvm works (written before the command)
#   heartbeat bumped every 10 s while the L1 lives (run.sh's watchdog)
#   status    the command's exit status
#   error     why the L1 could not run the command
# The command runs with the console (ttyS0) as its output; its input is the
# console when run.sh runs on a terminal, else /dev/null.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
STATE=/run/kvmhost
SCRATCH=/run/kvmhost-scratch
CONSOLE=/dev/ttyS0

finish() {
	sync
	# reboot(2) with RB_POWER_OFF: QEMU exits once the L1 powers off.
	exec busybox poweroff -f
}
fail() {
	echo "kvmhost-l1: $*" >"$CONSOLE"
	echo "$*" >"$STATE/error"
	finish
}

# shellcheck source=/dev/null
. "$STATE/job" || fail "cannot read $STATE/job"
mapfile -d '' -t CMD <"$STATE/cmd" || fail "cannot read $STATE/cmd"
[ ${#CMD[@]} -gt 0 ] || fail "empty command"

mkdir -p /dev/pts /dev/shm
mount -t devpts -o ptmxmode=0666,gid=5,mode=620 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
hostname kvmhost
mkdir -p /tmp/home
export HOME=/tmp/home TMPDIR=/tmp
# Tells the command where it runs (bench/run.sh labels its figures).
export LIGHTVM_NESTED_HOST="QEMU $(qemu-system-x86_64 --version 2>/dev/null | sed -n '1s/.*version \([^ ]*\).*/\1/p') TCG, L1 $(uname -r)"

# What the tests write under the checkout's build/ lands on the local ext4
# scratch disk (OFD locks and O_DIRECT work there; on 9p they do not), over
# the build/ made on the machine, which stays visible beneath.
if [ -n "$BUILD" ] && [ -d "$BUILD" ]; then
	mkdir -p "$SCRATCH"/build-lower "$SCRATCH"/build-upper "$SCRATCH"/build-work
	mount --bind "$BUILD" "$SCRATCH/build-lower" ||
		fail "cannot bind $BUILD"
	mount -t overlay -o "lowerdir=$SCRATCH/build-lower,upperdir=$SCRATCH/build-upper,workdir=$SCRATCH/build-work" \
		overlay "$BUILD" || fail "cannot put an overlay on $BUILD"
fi

( while :; do date +%s >"$STATE/heartbeat"; sleep 10; done ) &
HEARTBEAT=$!
# The L1 kernel's warnings and errors still reach the console, without
# KVM's note on every guest that probes the AMD performance counters the
# L1 lacks (Linux guests do at boot and carry on without a PMU).
dmesg -n 1
dmesg -W -l emerg,alert,crit,err,warn 2>/dev/null |
	grep --line-buffered -v "Unhandled WRMSR(0xc00100" |
	sed -u 's/^/kvmhost L1: /' >"$CONSOLE" &
DMESG=$!
echo "$(nproc) vCPUs, $(awk '/MemTotal/ { print int($2 / 1024) }' /proc/meminfo) MiB, $(uname -r)" >"$STATE/ready"

cd "$CWD" || fail "cannot cd to $CWD"
if [ "$INTERACTIVE" = 1 ]; then
	# A controlling terminal, so a shell in the guest gets job control and
	# lightvm puts the console into raw mode.
	setsid --ctty --wait "${CMD[@]}" <"$CONSOLE" >"$CONSOLE" 2>&1
	rc=$?
else
	# Byte-exact output: no CR added before each LF.
	stty -F "$CONSOLE" raw -echo
	"${CMD[@]}" </dev/null >"$CONSOLE" 2>&1
	rc=$?
fi
cd /
kill "$HEARTBEAT" "$DMESG" 2>/dev/null

# Keep what the tests wrote under build/ on the machine: new and changed
# files up to COPY_LIMIT bytes (logs, results; not scratch disk images),
# and deletions.
if [ -n "$BUILD" ] && [ -d "$SCRATCH/build-upper" ]; then
	umount "$BUILD"
	copied=0 skipped=0 removed=0
	cd "$SCRATCH/build-upper" || fail "scratch vanished"
	while IFS= read -r -d '' f; do
		dst=$SCRATCH/build-lower/${f#./}
		if [ -c "$f" ] && [ "$(stat -c %t:%T "$f")" = 0:0 ]; then
			rm -rf "$dst" && removed=$((removed + 1))
		elif [ -d "$f" ] && [ ! -L "$f" ]; then
			mkdir -p "$dst"
		elif [ -f "$f" ] && [ "$(stat -c %s "$f")" -gt "$COPY_LIMIT" ]; then
			skipped=$((skipped + 1))
		else
			rm -rf "$dst" && cp -a "$f" "$dst" && copied=$((copied + 1))
		fi
	done < <(find . -mindepth 1 -print0)
	cd /
	echo "kvmhost: kept $copied files from build/ ($removed deleted, $skipped over $((COPY_LIMIT / 1048576)) MiB left behind)" >"$CONSOLE"
fi
echo "$rc" >"$STATE/status"
finish
