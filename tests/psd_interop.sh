#!/bin/sh
# sozai's PSD reading and writing checked by psd-tools (python3-psd-tools).
. "$(dirname "$0")/lib.sh"
needs_data
if ! /usr/bin/python3 -c 'import psd_tools, numpy' 2>/dev/null; then
    echo "skipped: python3-psd-tools is not installed"
    exit 77
fi
exec /usr/bin/python3 "$SRC/tests/psd_interop.py" "$SOZAI" "$SOZAI_TESTDATA"
