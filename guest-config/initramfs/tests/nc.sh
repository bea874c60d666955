#!/bin/sh
# 10 MiB each way over TCP with busybox nc between the guest (eth0 set up
# by ip= on the command line) and the host at 10.0.2.1 in the test's
# network namespace.  The host sends to port 5000 here once it sees
# "nc: listening", and listens on its port 5001 before the guest starts.
# A receiving busybox nc quits when its stdin ends: a FIFO we hold open
# keeps it going (not a pipe from sleep: $! would name the wrong process).
host=10.0.2.1
up() { cut -d' ' -f1 /proc/uptime; }

mkfifo /tmp/hold && exec 3<>/tmp/hold || exit 1
nc -l -p 5000 </tmp/hold >/tmp/in &
rx=$!
echo "nc: listening on 5000"
t0=$(up)
wait "$rx"
t1=$(up)
exec 3>&-
echo "nc: RX $(sha256sum </tmp/in | cut -d' ' -f1) $(wc -c </tmp/in) bytes, $t0..$t1 s"

dd if=/dev/urandom of=/tmp/out bs=1M count=10 2>/dev/null || exit 1
echo "nc: TX $(sha256sum </tmp/out | cut -d' ' -f1) $(wc -c </tmp/out) bytes"
t0=$(up)
nc "$host" 5001 </tmp/out || { echo "nc: sending failed"; exit 1; }
t1=$(up)
echo "nc: sent, $t0..$t1 s"
