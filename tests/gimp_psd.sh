#!/bin/sh
# GIMP 2.10 in batch mode opens sozai-written PSDs with the right layers.
. "$(dirname "$0")/lib.sh"
needs_data
if ! command -v gimp-console-2.10 >/dev/null; then
    echo "skipped: gimp-console-2.10 is not installed (CI installs gimp)"
    exit 77
fi
export HOME="$TMP" # GIMP writes its profile under $HOME
exec /usr/bin/python3 "$SRC/tests/gimp_psd.py" "$SOZAI" "$SOZAI_TESTDATA" "$SRC/samples/character.psd" "$TMP"
