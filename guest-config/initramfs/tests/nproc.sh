#!/bin/sh
# lightvm.nproc=N: user space sees N CPUs and runs code on each of them.
want=$(sed -n 's/.*lightvm\.nproc=\([0-9]*\).*/\1/p' /proc/cmdline)
have=$(nproc)
echo "nproc: $have (want $want)"
[ -n "$want" ] && [ "$have" = "$want" ] || exit 1
c=0
while [ "$c" -lt "$have" ]; do
	taskset -c "$c" sh -c 'i=0; while [ $i -lt 1000 ]; do i=$((i + 1)); done' ||
		{ echo "nproc: could not run on CPU $c"; exit 1; }
	echo "nproc: ran a loop pinned to CPU $c"
	c=$((c + 1))
done
