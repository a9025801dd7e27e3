#!/bin/sh
# bench_cli.sh — the sozai command run many times on one mid-sized part,
# one run at a time and two at a time, with the command's own wait policy
# for idle threads and with libgomp's default spinning (cli/threads.c: a
# user's GOMP_SPINCOUNT is kept, so setting the default's 300000 gives the
# command as it was without the policy).  Two at a time is how a batch runs
# (`xargs -P2`), and the machine's other work looks the same to sozai.
# A benchmark, not a test: `make bench` runs it.
#
# usage: bench_cli.sh SOZAI PART MASK [RUNS]
set -eu
sozai=$1 part=$2 mask=$3 runs=${4:-32}
out=$(mktemp -d "${TMPDIR:-/tmp}/sozai-bench.XXXXXX")
trap 'rm -rf "$out"' EXIT

# timed JOBS [VAR=VALUE...]: seconds for the runs, JOBS at a time
timed() {
    jobs=$1
    shift
    t0=$(date +%s.%N)
    seq "$runs" | env -u GOMP_SPINCOUNT -u OMP_WAIT_POLICY "$@" \
        xargs -P "$jobs" -I{} "$sozai" "$part" complete --mask "$mask" -q -o "$out/{}.png"
    t1=$(date +%s.%N)
    echo "$t0 $t1" | awk '{ printf "%.2f", $2 - $1 }'
}

size=$("$sozai" "$part" info | sed -n 's/^canvas: \([0-9x]*\).*/\1/p')
own1=$(timed 1) own2=$(timed 2)
def1=$(timed 1 GOMP_SPINCOUNT=300000) def2=$(timed 2 GOMP_SPINCOUNT=300000)
echo "sozai complete on a $size part, $runs runs: one at a time $own1 s, two at a time $own2 s;" \
    "with libgomp's default spinning $def1 s and $def2 s"
