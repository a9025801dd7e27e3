#!/bin/sh
# bench_start.sh — what starting the command costs: many runs of
# `sozai --version`, and of `info` on the bundled sample's picture as a
# PNG and as a TIFF.  libtiff is opened only when a TIFF is read or written
# (src/tiff_lib.c), so the first two do not load it and the third does.
# Every command of a shell pipeline pays the start.
# A benchmark, not a test: `make bench` runs it.
#
# usage: bench_start.sh SOZAI SAMPLE.psd [RUNS]
set -eu
sozai=$1 sample=$2 runs=${3:-300}
out=$(mktemp -d "${TMPDIR:-/tmp}/sozai-bench.XXXXXX")
trap 'rm -rf "$out"' EXIT
"$sozai" "$sample" -q -o "$out/sample.png"
"$sozai" "$sample" -q -o "$out/sample.tif"

# timed ARGS...: milliseconds per run of sozai ARGS, one after another
timed() {
    t0=$(date +%s.%N)
    i=0
    while [ "$i" -lt "$runs" ]; do
        "$sozai" "$@" >/dev/null
        i=$((i + 1))
    done
    t1=$(date +%s.%N)
    echo "$t0 $t1 $runs" | awk '{ printf "%.2f", ($2 - $1) * 1000 / $3 }'
}

size=$("$sozai" "$out/sample.png" info | sed -n 's/^canvas: \([0-9x]*\).*/\1/p')
echo "sozai start, $runs runs each: --version $(timed --version) ms; info on a $size picture:" \
    "PNG $(timed "$out/sample.png" info) ms, TIFF $(timed "$out/sample.tif" info) ms (libtiff is opened then)"
