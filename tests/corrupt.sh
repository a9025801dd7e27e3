#!/bin/sh
# Every corrupt input in the shared test data gets a clean error from the
# command: exit status 3 (bad input), a message naming the file, no crash
# or sanitizer report, and no output file (an existing one stays as it was).
. "$(dirname "$0")/lib.sh"
needs_data
D=$SOZAI_TESTDATA

# Files among the fuzz crashers that are valid TIFFs (they crashed another
# decoder): they must decode, not fail.
valid_fuzz='id=000026,sig=06,src=000012,op=havoc,rep=2 id=000019,sig=06,src=000001,op=havoc,rep=8'

list_corrupt() {
    ls "$D"/png/pngsuite/x*.png
    ls "$D"/png/libpng/contrib/testpngs/crashers/*
    ls "$D"/png/image-png-extra/bugfixes/x_*.png
    for f in "$D"/tiff/image-tiff/fuzz_images/*/*; do
        case " $valid_fuzz " in *" $(basename "$f") "*) ;; *) echo "$f" ;; esac
    done
    for f in broken.png broken_data_stream.png truncated_end_chunk.png truncated_image.png \
             libtiff_segfault.tif seek_too_large.tif separate_planar_extra_samples.tiff; do
        echo "$D/misc/pillow-tests/$f"
    done
    ls "$D"/misc/pillow-tests/crash-*.tif "$D"/misc/pillow-tests/oom-*.tif
    for f in combined_larger_than_size.psd psd-oob-write-overflow.psd psd-oob-write.psd psd-oob-write-y.psd; do
        echo "$D/misc/pillow-tests/$f"
    done
    ls "$D"/misc/pillow-tests/timeout-*.psd
}

printf 'precious' >"$TMP/existing.png"
n=0
list_corrupt >"$TMP/list"
while IFS= read -r f; do
    n=$((n + 1))
    run "$SOZAI" "$f" bleed -o "$TMP/out.png"
    if [ "$rc" = 3 ]; then pass; else fail "$f: exit $rc, wanted 3"; fi
    expect_no_report "$f"
    if grep -q "^sozai: .*$(basename "$f" | sed 's/[][\.*^$]/\\&/g')" "$TMP/stderr"; then pass; else
        fail "$f: the message does not name the file: $(head -c 200 "$TMP/stderr")"
    fi
    if [ -e "$TMP/out.png" ]; then fail "$f: an output file appeared"; rm -f "$TMP/out.png"; else pass; fi
    # every 10th file also against an existing output
    if [ $((n % 10)) = 0 ]; then
        run "$SOZAI" "$f" -o "$TMP/existing.png"
        if [ "$(cat "$TMP/existing.png")" = precious ]; then pass; else fail "$f: replaced an existing file"; fi
    fi
done <"$TMP/list"
for name in $valid_fuzz; do
    f=$(ls "$D"/tiff/image-tiff/fuzz_images/*/"$name")
    expect_exit 0 "$f (a valid file among the crashers)" "$SOZAI" "$f" -o "$TMP/ok.png"
    expect_no_report "$f"
done
leftovers=$(ls -A "$TMP" | grep -v -x -E 'stdout|stderr|list|existing.png|ok.png')
if [ -n "$leftovers" ]; then fail "temporary files left behind: $leftovers"; else pass; fi
echo "corrupt inputs rejected cleanly: $n"
finish
