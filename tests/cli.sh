#!/bin/sh
# The command line: help and registry listings, exit codes, messages,
# pipes, atomic output, refusal to overwrite the input, golden outputs
# (netpbm style: checksums of PAM renderings in tests/golden).
. "$(dirname "$0")/lib.sh"
SAMPLE=$SRC/samples/character.psd
GOLDEN=$SRC/tests/golden

pam_sum() { "$SOZAI" "$@" -q -o -.pam | sha256sum | cut -d' ' -f1; }

# --- help, version, registry ------------------------------------------------
expect_exit 0 "--version" "$SOZAI" --version
expect_grep "^sozai [0-9]" "$TMP/stdout" "--version"
expect_exit 0 "--help" "$SOZAI" --help
expect_grep "operations:" "$TMP/stdout" "--help lists operations"
expect_exit 0 "list" "$SOZAI" list
for op in info bleed to-srgb export-layers; do expect_grep "^$op " "$TMP/stdout" "list shows $op"; done
expect_exit 0 "list --json" "$SOZAI" list --json
if command -v /usr/bin/python3 >/dev/null && /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert any(o["name"]=="bleed" and o["params"][0]["name"]=="radius" for o in d["operations"])' "$TMP/stdout"; then pass; else fail "list --json is not the registry as JSON"; fi
expect_exit 0 "help bleed" "$SOZAI" help bleed
expect_grep "--radius N" "$TMP/stdout" "help bleed shows its option"
expect_grep "--layers" "$TMP/stdout" "help bleed shows layer selection"
expect_exit 2 "help of an unknown op" "$SOZAI" help frobnicate

# --- usage errors (2) ----------------------------------------------------------
expect_exit 2 "no arguments" "$SOZAI"
expect_exit 2 "unknown operation" "$SOZAI" "$SAMPLE" frobnicate -o "$TMP/x.png"
expect_grep "frobnicate" "$TMP/stderr" "unknown operation is named"
if grep -q "did you mean" "$TMP/stderr"; then fail "a name like no operation got a suggestion"; else pass; fi
expect_exit 2 "misspelt operation" "$SOZAI" "$SAMPLE" fil-behind -o "$TMP/x.png"
expect_grep "did you mean 'fill-behind'" "$TMP/stderr" "a misspelt operation gets the one meant"
expect_exit 2 "help of a misspelt op" "$SOZAI" help complet
expect_grep "did you mean 'complete'" "$TMP/stderr" "help of a misspelt operation suggests it"
expect_exit 2 "unknown option" "$SOZAI" "$SAMPLE" bleed --nope 3 -o "$TMP/x.png"
if grep -q "did you mean" "$TMP/stderr"; then fail "an option like none got a suggestion"; else pass; fi
expect_exit 2 "misspelt option" "$SOZAI" "$SAMPLE" complete --colour-smothness=2 -o "$TMP/x.png"
expect_grep "did you mean --colour-smoothness?" "$TMP/stderr" "a misspelt option gets the one meant"
expect_exit 2 "misspelt layer option" "$SOZAI" "$SAMPLE" complete --lyaers face -o "$TMP/x.png"
expect_grep "did you mean --layers?" "$TMP/stderr" "the shared layer options are suggested too"
expect_exit 2 "out-of-range value" "$SOZAI" "$SAMPLE" bleed --radius 0 -o "$TMP/x.png"
expect_grep "radius" "$TMP/stderr" "range error names the option"
expect_exit 2 "missing -o" "$SOZAI" "$SAMPLE" bleed
expect_exit 2 "unknown output format" "$SOZAI" "$SAMPLE" -o "$TMP/x.gif"
expect_exit 2 "no layer matches" "$SOZAI" "$SAMPLE" bleed --layers nosuchlayer -o "$TMP/x.png"
expect_grep "nosuchlayer" "$TMP/stderr" "selection error names the pattern"
if [ ! -e "$TMP/x.png" ]; then pass; else fail "a failed chain left an output file"; fi

# --- bad input (3) ---------------------------------------------------------------
expect_exit 3 "missing input" "$SOZAI" "$TMP/missing.png" -o "$TMP/x.png"
expect_grep "missing.png" "$TMP/stderr" "missing input is named"
printf 'not an image' >"$TMP/junk.png"
expect_exit 3 "not an image" "$SOZAI" "$TMP/junk.png" -o "$TMP/x.png"
expect_grep "junk.png: not a PNG" "$TMP/stderr" "bad input message"
# a stream that is no image is refused at its first bytes, not read whole
# (the limit only bounds what a regression would read)
expect_exit 3 "an endless stream that is no image" "$SOZAI" --limit-memory 67108864 /dev/zero info
expect_grep "/dev/zero: not a PNG" "$TMP/stderr" "an endless stream is refused at its first bytes"
expect_exit 3 "over the canvas limit" "$SOZAI" --limit-doc-pixels 1000 "$SAMPLE" -o "$TMP/x.png"
expect_grep "limit" "$TMP/stderr" "limit message"
if [ ! -e "$TMP/x.png" ]; then pass; else fail "bad input left an output file"; fi

# --- output safety ------------------------------------------------------------------
cp "$SAMPLE" "$TMP/in.psd"
expect_exit 2 "output is the input" "$SOZAI" "$TMP/in.psd" bleed -o "$TMP/in.psd"
if same_file "$SAMPLE" "$TMP/in.psd"; then pass; else fail "the input was overwritten"; fi
ln -s "$TMP/in.psd" "$TMP/link.psd"
expect_exit 2 "output is the input through a link" "$SOZAI" "$TMP/in.psd" bleed -o "$TMP/link.psd"
expect_exit 0 "--overwrite-input" "$SOZAI" "$TMP/in.psd" bleed --overwrite-input -o "$TMP/in.psd"
# every file the chain reads is kept: a --mask is no output, nor is the
# input a --debug picture
"$SOZAI" "$SAMPLE" -q export-layers --layers face -o "$TMP/face.png" >/dev/null
"$SOZAI" "$SAMPLE" -q export-layers --layers bangs -o "$TMP/cover.png" >/dev/null
cp "$TMP/cover.png" "$TMP/cover.orig.png"
expect_exit 2 "output is the mask" "$SOZAI" "$TMP/face.png" fill-behind --mask "$TMP/cover.png" -o "$TMP/cover.png"
expect_grep "is what fill-behind --mask reads" "$TMP/stderr" "overwriting the mask is refused, and why"
expect_exit 2 "debug picture over the input" "$SOZAI" "$TMP/face.png" complete --mask "$TMP/cover.png" \
    --debug "$TMP/face.png" -o "$TMP/x.png"
expect_grep "complete --debug .* is the input too" "$TMP/stderr" "a debug picture over the input is refused"
if same_file "$TMP/cover.png" "$TMP/cover.orig.png" && [ ! -e "$TMP/x.png" ]; then pass
else fail "a file the chain reads was overwritten, or an output written"; fi
# nor may a file an operation names as it goes: export-layers' "%n.psd"
# gives face.psd for the layer named face
mkdir "$TMP/named" && cp "$SAMPLE" "$TMP/named/face.psd"
expect_exit 2 "export-layers onto the input" "$SOZAI" "$TMP/named/face.psd" export-layers -o "$TMP/named/%n.psd"
expect_grep "written to .*face.psd, an input" "$TMP/stderr" "export-layers onto the input is refused, and why"
if same_file "$SAMPLE" "$TMP/named/face.psd" && [ ! -e "$TMP/named/bangs.psd" ]; then pass
else fail "export-layers wrote over its input, or wrote other layers first"; fi
printf 'keep me' >"$TMP/old.png"
expect_exit 2 "failing chain with an existing output" "$SOZAI" "$SAMPLE" bleed --layers nope -o "$TMP/old.png"
if [ "$(cat "$TMP/old.png")" = "keep me" ]; then pass; else fail "an existing output was replaced on failure"; fi
expect_exit 1 "unwritable directory" "$SOZAI" "$SAMPLE" -o /nonexistent-dir/x.png
expect_grep "nonexistent-dir" "$TMP/stderr" "write error names the file"
# An output that is a link is written through it; one that is a named pipe
# or a device is written into.  Renamed over, the link or the pipe was
# replaced by a regular file (as root, -o /dev/null replaced the device).
"$SOZAI" "$SAMPLE" -q -o "$TMP/direct.png"
printf 'old' >"$TMP/target.png"
ln -s target.png "$TMP/out-link.png"
expect_exit 0 "output through a link" "$SOZAI" "$SAMPLE" -q -o "$TMP/out-link.png"
if [ -L "$TMP/out-link.png" ] && same_file "$TMP/direct.png" "$TMP/target.png"; then pass
else fail "an output link was replaced, or its target not written"; fi
mkfifo "$TMP/fifo.png"
timeout 20 cat "$TMP/fifo.png" >"$TMP/from-fifo.png" &
reader=$!
expect_exit 0 "output to a named pipe" "$SOZAI" "$SAMPLE" -q -o "$TMP/fifo.png"
wait "$reader"
if [ -p "$TMP/fifo.png" ] && same_file "$TMP/direct.png" "$TMP/from-fifo.png"; then pass
else fail "a named pipe as output was replaced, or did not get the image"; fi
mkdir "$TMP/dir.png"
expect_exit 1 "output that is a directory" "$SOZAI" "$SAMPLE" -q -o "$TMP/dir.png"
expect_grep "dir.png: is a directory" "$TMP/stderr" "a directory as output is named"
if [ -z "$(ls -A "$TMP/dir.png")" ] && [ -z "$(find "$TMP" -maxdepth 1 -name '.dir.png.*')" ]; then pass
else fail "writing over a directory left files behind"; fi

# --- formats, pipes ---------------------------------------------------------------------
expect_exit 0 "PSD to PNG" "$SOZAI" "$SAMPLE" -q -o "$TMP/a.png"
expect_exit 0 "PNG to TIFF" "$SOZAI" "$TMP/a.png" -o "$TMP/b.tif"
expect_exit 0 "TIFF to PAM" "$SOZAI" "$TMP/b.tif" -o "$TMP/b.pam"
expect_exit 0 "PNG to PAM" "$SOZAI" "$TMP/a.png" -o "$TMP/a.pam"
if same_file "$TMP/a.pam" "$TMP/b.pam"; then pass; else fail "PNG -> TIFF changed pixels"; fi
"$SOZAI" - -o -.pam <"$TMP/a.png" >"$TMP/piped.pam" 2>"$TMP/stderr"
if same_file "$TMP/a.pam" "$TMP/piped.pam"; then pass; else fail "stdin -> stdout differs: $(cat "$TMP/stderr")"; fi
"$SOZAI" "$TMP/a.png" -o - --format png 2>/dev/null | "$SOZAI" - -o "$TMP/c.pam"
if same_file "$TMP/a.pam" "$TMP/c.pam"; then pass; else fail "a pipe of two sozai processes changed pixels"; fi
expect_exit 0 "warnings go to stderr" "$SOZAI" "$SAMPLE" -o "$TMP/flat.png"
expect_grep "composite of 4 layers" "$TMP/stderr" "flattening warns"
expect_exit 0 "-q silences warnings" "$SOZAI" -q "$SAMPLE" -o "$TMP/flat.png"
if [ ! -s "$TMP/stderr" ]; then pass; else fail "-q printed: $(cat "$TMP/stderr")"; fi
if [ ! -s "$TMP/stdout" ]; then pass; else fail "writing a file printed to stdout"; fi

# --- operations ----------------------------------------------------------------------------
expect_exit 0 "to-srgb --depth 16" "$SOZAI" "$SAMPLE" to-srgb --depth 16 -o "$TMP/wide.tif"
expect_exit 0 "info of the result" "$SOZAI" "$TMP/wide.tif" info
expect_grep "16-bit" "$TMP/stdout" "to-srgb changed the depth"
expect_exit 0 "info --json" "$SOZAI" "$SAMPLE" info --json
if /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["layer_count"]==4' "$TMP/stdout" 2>/dev/null; then pass; else fail "info --json"; fi
expect_exit 0 "a chain of operations" "$SOZAI" "$SAMPLE" to-srgb bleed --radius 2 --layers face info -o "$TMP/chain.tif"
expect_grep '"face"' "$TMP/stdout" "info at the end of a chain"
"$SOZAI" --threads 1 "$SAMPLE" bleed --radius 6 -o "$TMP/t1.pam" 2>/dev/null
"$SOZAI" --threads 2 "$SAMPLE" bleed --radius 6 -o "$TMP/t2.pam" 2>/dev/null
if same_file "$TMP/t1.pam" "$TMP/t2.pam"; then pass; else fail "bleed differs between 1 and 2 threads"; fi
for op in "extend-lines" "complete" "fill-behind --merge --margin 4"; do
    # shellcheck disable=SC2086 # the operation's words
    "$SOZAI" --threads 1 "$SAMPLE" $op -q -o "$TMP/t1.psd"
    # shellcheck disable=SC2086
    "$SOZAI" --threads 3 "$SAMPLE" $op -q -o "$TMP/t3.psd"
    if same_file "$TMP/t1.psd" "$TMP/t3.psd"; then pass; else fail "$op differs between 1 and 3 threads"; fi
done

# --- export-layers and PSD round trips --------------------------------------------------------
expect_exit 0 "export-layers" "$SOZAI" "$SAMPLE" export-layers -o "$TMP/parts/%02i_%n.png"
for f in 00_back\ hair 01_body 02_face 03_bangs; do
    if [ -f "$TMP/parts/$f.png" ]; then pass; else fail "export-layers did not write $f.png"; fi
done

# Idle threads spin only briefly (cli/threads.c): the command starts itself
# again with GOMP_SPINCOUNT set, unless the user chose how threads wait, no
# thread will wait (a canvas under 512x512, as its PNG or PSD header says),
# or a tool watches the process.  libgomp reports the count it runs with;
# another OpenMP runtime reports none, and then there is nothing to check.
spin_count() {
    env OMP_DISPLAY_ENV=verbose "$@" 2>&1 >/dev/null |
        sed -n "s/.*GOMP_SPINCOUNT = '\([0-9]*\)'.*/\1/p" | tail -n 1
}
small="$TMP/parts/02_face.png" # 262x228
if [ -n "$(spin_count "$SOZAI" "$SAMPLE" info)" ]; then
    if [ "$(spin_count "$SOZAI" "$SAMPLE" info)" = 10000 ]; then pass; else fail "idle threads spin $(spin_count "$SOZAI" "$SAMPLE" info) turns, wanted 10000"; fi
    if [ "$(spin_count "$SOZAI" - info < "$SAMPLE")" = 10000 ]; then pass; else fail "no restart reading standard input"; fi
    if [ "$(spin_count GOMP_SPINCOUNT=5000 "$SOZAI" "$SAMPLE" info)" = 5000 ]; then pass; else fail "GOMP_SPINCOUNT=5000 was not kept"; fi
    if [ "$(spin_count OMP_WAIT_POLICY=passive "$SOZAI" "$SAMPLE" info)" = 0 ]; then pass; else fail "OMP_WAIT_POLICY=passive was not kept"; fi
    if [ "$(spin_count "$SOZAI" "$small" info)" != 10000 ]; then pass; else fail "restarted for a small canvas"; fi
    if [ "$(spin_count "$SOZAI" --threads 2 "$small" info)" = 10000 ]; then pass; else fail "no restart with --threads 2"; fi
    if [ "$(spin_count "$SOZAI" --threads 1 "$SAMPLE" info)" != 10000 ]; then pass; else fail "restarted with --threads 1"; fi
    if [ "$(spin_count LD_PRELOAD= "$SOZAI" "$SAMPLE" info)" != 10000 ]; then pass; else fail "restarted beside LD_PRELOAD"; fi
fi
# nor when started through the dynamic loader, which /proc/self/exe then is
loader=$(readelf -l "$SOZAI" 2>/dev/null | sed -n 's/.*interpreter: \(.*\)]$/\1/p')
if [ -n "$loader" ] && [ -x "$loader" ]; then
    expect_exit 0 "started through the dynamic loader" "$loader" "$SOZAI" "$SAMPLE" info
    expect_grep "^canvas: 480x600" "$TMP/stdout" "started through the dynamic loader, sozai ran"
fi

expect_exit 0 "export-layers --canvas as TIFF" "$SOZAI" "$SAMPLE" export-layers --canvas --layers face -o "$TMP/c/%n.tif"
expect_exit 0 "info of an exported layer" "$SOZAI" "$TMP/c/face.tif" info
expect_grep "canvas: 480x600" "$TMP/stdout" "--canvas keeps the canvas size"
expect_exit 2 "export-layers without a pattern" "$SOZAI" "$SAMPLE" export-layers
expect_exit 2 "export-layers pattern without an index" "$SOZAI" "$SAMPLE" export-layers -o "$TMP/same.png"
expect_grep "layers 0 and 1 would both be written" "$TMP/stderr" "the first clash is named"
if [ ! -e "$TMP/same.png" ]; then pass; else fail "a clash of names left a file written"; fi
# one layer selected: its fixed name clashes with no layer left out
expect_exit 0 "export-layers of one layer to a fixed name" "$SOZAI" "$SAMPLE" export-layers --layers face -o "$TMP/one.png"
expect_grep "1 file(s) written" "$TMP/stdout" "one layer to a fixed name is written"
expect_exit 0 "PSD to PSB" "$SOZAI" "$SAMPLE" -o "$TMP/s.psb"
expect_exit 0 "PSB to PSD, ZIP" "$SOZAI" "$TMP/s.psb" --compression zip -o "$TMP/s.psd"
"$SOZAI" "$SAMPLE" info >"$TMP/i1"; "$SOZAI" "$TMP/s.psd" info >"$TMP/i2"
if diff "$TMP/i1" "$TMP/i2" | grep -v "source:" | grep -q "^[<>]"; then fail "PSB/ZIP round trip changed the tree"; else pass; fi
if [ "$(pam_sum "$SAMPLE")" = "$(pam_sum "$TMP/s.psd")" ]; then pass; else fail "PSB/ZIP round trip changed pixels"; fi

# --- golden outputs ---------------------------------------------------------------------------
golden() { # NAME CMD... : the command's stdout must match $GOLDEN/NAME
    name=$1
    shift
    "$@" >"$TMP/golden.out" 2>"$TMP/stderr"
    if [ -n "${SOZAI_UPDATE_GOLDEN:-}" ]; then cp "$TMP/golden.out" "$GOLDEN/$name"; fi
    if cmp -s "$TMP/golden.out" "$GOLDEN/$name"; then pass; else
        fail "golden $name differs: $(diff "$GOLDEN/$name" "$TMP/golden.out" | head -5)"
    fi
}
golden sample-info.txt "$SOZAI" "$SAMPLE" info
golden sample-composite.sha256 pam_sum "$SAMPLE"
golden sample-bleed.sha256 pam_sum "$SAMPLE" bleed --radius 8
golden sample-srgb16.sha256 pam_sum "$SAMPLE" to-srgb --depth 16
layers_after() { # OP ARGS...: the layer tree and a checksum of every layer after the operation
    rm -rf "$TMP/after" && mkdir -p "$TMP/after"
    "$SOZAI" "$SAMPLE" "$@" -q -o "$TMP/after/doc.psd" &&
        "$SOZAI" "$TMP/after/doc.psd" info | grep -v "^source:" &&
        "$SOZAI" "$TMP/after/doc.psd" export-layers -o "$TMP/after/%02i.pam" >/dev/null &&
        cat "$TMP/after"/*.pam | sha256sum | cut -d' ' -f1
}
golden sample-extend-lines.txt layers_after extend-lines --to-layer new
golden sample-complete.txt layers_after complete
golden sample-complete-lines-apart.txt layers_after complete --to-layer new
golden sample-fill-merge.txt layers_after fill-behind --merge --margin 4

# --- the sample is reproducible from its generator ------------------------------------------
if [ -x "${SOZAI_MAKE_SAMPLE:-}" ]; then
    "$SOZAI_MAKE_SAMPLE" "$TMP/regen.psd"
    if cmp -s "$TMP/regen.psd" "$SAMPLE"; then pass; else
        fail "samples/make_sample no longer draws the committed sample"
    fi
fi

finish
