#!/bin/sh
# PngSuite decoded by sozai and by Pillow (Debian's python3-pil) must agree.
. "$(dirname "$0")/lib.sh"
needs_data
py=/usr/bin/python3
[ -x "$py" ] || py=${PYTHON3:-python3}
if ! "$py" -c 'import PIL, numpy' 2>/dev/null; then
    echo "skipped: python3-pil and python3-numpy are not installed"
    exit 77
fi
exec "$py" "$SRC/tests/interop_pil.py" "$SOZAI" "$SOZAI_TESTDATA/png/pngsuite"
