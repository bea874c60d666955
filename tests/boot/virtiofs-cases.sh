# SPDX-License-Identifier: GPL-2.0
#
# virtiofs-cases.sh - tier 3 on VMX/SVM hosts: host directories in the
# guest over virtio-fs, served by Debian's virtiofsd behind vhost-user.
# Sourced by run-tests.sh (boot, boot_ok, pass, fail, $BZ, $DK, $FAST).
#
#   linux-rootfs-os-release  --rootfs / -- cat /etc/os-release prints the
#                            machine's file; a write lands in the guest's
#                            overlay, not on the host
#   linux-rootfs-exit42      -- sh -c 'pwd; exit 42' from /usr/share: 42,
#                            and the guest started in /usr/share
#   linux-rootfs-exit200     a status above 119 is reported as 119, with
#                            the real one named on stderr
#   linux-share-write        --share DIR,tag=data: the guest writes a
#                            file, the host reads it back
#   linux-share-ro           --share DIR,tag=data,ro: the write is refused
#                            (EROFS from the host), nothing appears
#   linux-fs-socket          --fs SOCKET,tag=ext: a virtiofsd started by
#                            the test, lightvm only attaches
#   linux-share-kill         virtiofsd killed mid-run: lightvm names it,
#                            the guest carries on, CMD's status comes out
#   linux-rootfs-sigterm     SIGTERM to lightvm: exit 143, no virtiofsd
#                            left behind
#   linux-rootfs-no-virtiofs a kernel without virtio-fs built in (Debian's
#                            stock kernel: a module): 125, one line

ROOTFS_MEM=(-m 256M)

# The share every case below uses: a fresh directory on a local file
# system (in the nested host /tmp is a tmpfs; the 9p root is read-only).
share_dir() {
	local d=/tmp/lightvm-share-$1

	rm -rf "$d"
	mkdir -p "$d" && echo "from the host" >"$d/host.txt" && echo "$d"
}

# fs_has NAME TEXT: the console log of NAME contains TEXT (fixed string).
fs_has() {
	grep -qF -- "$2" "$LOG_DIR/$1.log"
}

virtiofs_cases() {
	local d pretty

	# The machine's own os-release, read by the guest from its root.
	pretty=$(grep -m 1 '^PRETTY_NAME=' /etc/os-release)
	if selected linux-rootfs-os-release && boot_ok linux-rootfs-os-release 0 300 "lightvm-overlay-ok" -- \
		-k "$BZ" --rootfs / "${ROOTFS_MEM[@]}" -p "$FAST" -- \
		sh -c 'cat /etc/os-release && echo lightvm-overlay-ok >/etc/lightvm-overlay-test && cat /etc/lightvm-overlay-test'; then
		if ! fs_has linux-rootfs-os-release "$pretty"; then
			fail linux-rootfs-os-release-host "the console lacks the machine's '$pretty'"
		elif [ -e /etc/lightvm-overlay-test ]; then
			fail linux-rootfs-os-release-host "the guest's write reached the host's /etc"
		else
			pass linux-rootfs-os-release-host "'$pretty' on the console; the write stayed in the overlay"
		fi
	fi

	# CMD's status is lightvm's; the guest starts in the host's cwd.
	cd /usr/share || return
	boot linux-rootfs-exit42 42 300 "^/usr/share" -- \
		-k "$BZ" --rootfs / "${ROOTFS_MEM[@]}" -p "$FAST" -- \
		sh -c 'pwd; exit 42'
	cd "$ROOT" || return

	boot linux-rootfs-exit200 119 300 \
		"guest wrote 200 to the exit port; reporting 119" -- \
		-k "$BZ" --rootfs / "${ROOTFS_MEM[@]}" -p "$FAST" -- \
		sh -c 'exit 200'

	# A shared directory the guest writes to.
	if selected linux-share-write; then
		d=$(share_dir write)
		if boot_ok linux-share-write 0 300 "guest-read: from the host" -- \
			-k "$BZ" --rootfs / --share "$d,tag=data" "${ROOTFS_MEM[@]}" \
			-p "$FAST" -- sh -c 'mount -t virtiofs data /mnt && echo "guest-read: $(cat /mnt/host.txt)" && echo "written by the guest" >/mnt/guest.txt'; then
			if [ "$(cat "$d/guest.txt" 2>/dev/null)" = "written by the guest" ]; then
				pass linux-share-write-host "the host read the guest's file back"
			else
				fail linux-share-write-host "the host found '$(cat "$d/guest.txt" 2>&1)'"
			fi
		fi
	fi

	# ro: the host's virtiofsd cannot write (a read-only bind mount).
	if selected linux-share-ro; then
		d=$(share_dir ro)
		if boot_ok linux-share-ro 7 300 "Read-only file system" "guest-read: from the host" -- \
			-k "$BZ" --rootfs / --share "$d,tag=data,ro" "${ROOTFS_MEM[@]}" \
			-p "$FAST" -- sh -c 'mount -t virtiofs data /mnt && echo "guest-read: $(cat /mnt/host.txt)" && if echo x >/mnt/guest.txt; then exit 0; else exit 7; fi'; then
			if [ -e "$d/guest.txt" ]; then
				fail linux-share-ro-host "guest.txt appeared on the host"
			else
				pass linux-share-ro-host "nothing written on the host"
			fi
		fi
	fi

	fs_socket
	share_kill
	rootfs_sigterm

	# Debian's kernel has virtio-fs as a module our initramfs does not
	# load: the device is never driven.
	if selected linux-rootfs-no-virtiofs; then
		if [ -z "$DK" ]; then
			fail linux-rootfs-no-virtiofs "could not fetch the Debian kernel"
		else
			boot linux-rootfs-no-virtiofs 125 300 \
				"never drove the virtio-fs device: it needs CONFIG_VIRTIO_FS" -- \
				-k "$DK/vmlinuz" --rootfs / -m 512M -- true
		fi
	fi
}

# --fs SOCKET: a virtiofsd the test started itself, as another tool
# would; lightvm only attaches to it.
fs_socket() {
	local name=linux-fs-socket d sock vpid i

	selected "$name" || return 0
	d=$(share_dir fs)
	sock=/tmp/lightvm-fs-socket.sock
	rm -f "$sock"
	/usr/lib/qemu/virtiofsd --socket-path="$sock" -o source="$d" \
		-o log_level=err >"$LOG_DIR/$name.virtiofsd" 2>&1 &
	vpid=$!
	for i in $(seq 1 300); do
		[ -S "$sock" ] && break
		sleep 0.01
	done
	boot "$name" 0 300 "ext-read: from the host" -- \
		-k "$BZ" --rootfs / --fs "$sock,tag=ext" "${ROOTFS_MEM[@]}" \
		-p "$FAST" -- sh -c 'mount -t virtiofs ext /mnt && echo "ext-read: $(cat /mnt/host.txt)"'
	kill "$vpid" 2>/dev/null
	wait "$vpid" 2>/dev/null
	rm -f "$sock"
}

# wait_for_line LOG PID TEXT: until the console log shows TEXT, PID
# exits, or 120 s pass.
wait_for_line() {
	local i

	for i in $(seq 1 1200); do
		grep -q "$3" "$1" 2>/dev/null && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# virtiofsd dies while the guest uses the share: lightvm says so, marks
# the device broken, and the guest's command still ends and is reported.
share_kill() {
	local name=linux-share-kill log=$LOG_DIR/linux-share-kill.log d pid rc vpid=""

	selected "$name" || return 0
	d=$(share_dir kill)
	echo "never read before the kill" >"$d/later.txt"
	rm -f "$log"
	timeout -k 10 360 "$LIGHTVM" run --timeout 300 --console-log "$log" -v \
		-k "$BZ" --rootfs / --share "$d,tag=data" "${ROOTFS_MEM[@]}" -p "$FAST" -- \
		sh -c 'mount -t virtiofs data /mnt && cat /mnt/host.txt && echo share-mounted && sleep 5 && timeout -s KILL 10 cat /mnt/later.txt; echo "after-kill status $?"; exit 5' \
		</dev/null >"$log.stderr" 2>&1 &
	pid=$!
	wait_for_line "$log" "$pid" share-mounted
	# The server of this share only: lightvm -v names its pid.
	vpid=$(sed -n "s|.*virtiofsd (pid \([0-9]*\)) serves $d .*|\1|p" "$log.stderr" | head -n 1)
	[ -n "$vpid" ] && kill -KILL "$vpid"
	wait "$pid"
	rc=$?
	cat "$log.stderr" >>"$log"
	if [ -z "$vpid" ]; then
		fail "$name" "lightvm -v did not name the share's virtiofsd (exit $rc)"
	elif [ "$rc" -ne 5 ]; then
		fail "$name" "exit $rc, expected CMD's 5"
	elif ! grep -q "virtio-fs data: virtiofsd exited" "$log"; then
		fail "$name" "lightvm did not report the dead virtiofsd"
	elif ! grep -q "after-kill status 137" "$log"; then
		fail "$name" "the guest's read after the kill did not hang until killed: $(grep after-kill "$log")"
	else
		pass "$name" "$(grep -m 1 'virtio-fs data: virtiofsd exited' "$log" | cut -c1-150); the guest's read was killed (137), CMD's 5 came out"
	fi
}

# SIGTERM to lightvm mid-run: 143, and no virtiofsd survives it.
rootfs_sigterm() {
	local name=linux-rootfs-sigterm log=$LOG_DIR/linux-rootfs-sigterm.log pid rc left

	selected "$name" || return 0
	rm -f "$log"
	"$LIGHTVM" run -k "$BZ" --rootfs / "${ROOTFS_MEM[@]}" -p "$FAST" \
		--timeout 300 --console-log "$log" -- sh -c 'echo guest-ready; sleep 600' \
		</dev/null >"$log.stderr" 2>&1 &
	pid=$!
	wait_for_line "$log" "$pid" guest-ready
	kill -TERM "$pid"
	wait "$pid"
	rc=$?
	sleep 0.5
	left=$(pgrep -x virtiofsd | tr '\n' ' ')
	cat "$log.stderr" >>"$log"
	if ! grep -q guest-ready "$log"; then
		fail "$name" "the guest never got ready (exit $rc)"
	elif [ "$rc" -ne 143 ]; then
		fail "$name" "exit $rc, expected 143"
	elif [ -n "$left" ]; then
		fail "$name" "virtiofsd left running: pid $left"
		kill -KILL $left 2>/dev/null
	else
		pass "$name" "exit 143, no virtiofsd left"
	fi
}
