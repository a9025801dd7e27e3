# lib.sh — helpers shared by the shell tests (sourced, not run).
# Each test prints a Check-style summary line so a run that tested nothing
# shows up in the logs.
set -u
: "${SOZAI:?the tests need SOZAI=path/to/sozai}"
SRC=${SOZAI_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/sozai-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
checks=0
failures=0

pass() { checks=$((checks + 1)); }
fail() {
    checks=$((checks + 1))
    failures=$((failures + 1))
    echo "FAIL: $*"
}

# run CMD...: runs a command, keeping its exit status in $rc and its output
# in $TMP/stdout and $TMP/stderr.
run() {
    "$@" >"$TMP/stdout" 2>"$TMP/stderr"
    rc=$?
}

# expect_exit N DESCRIPTION CMD...
expect_exit() {
    want=$1
    what=$2
    shift 2
    run "$@"
    if [ "$rc" = "$want" ]; then pass; else fail "$what: exit $rc, wanted $want ($(head -c 300 "$TMP/stderr"))"; fi
}

# expect_grep PATTERN FILE DESCRIPTION
expect_grep() {
    if grep -q -- "$1" "$2"; then pass; else fail "$3: '$1' not in $(head -c 300 "$2")"; fi
}

# no sanitizer or runtime error report in stderr
expect_no_report() {
    if grep -q -E "Sanitizer|runtime error|Segmentation|Aborted" "$TMP/stderr"; then
        fail "$1: $(head -c 400 "$TMP/stderr")"
    else
        pass
    fi
}

same_file() { cmp -s "$1" "$2"; }

finish() {
    echo "Checks: $checks, Failures: $failures"
    [ "$failures" = 0 ] && [ "$checks" -gt 0 ]
}

# needs_data: skip (77) when the third-party test data is missing
needs_data() {
    if [ -z "${SOZAI_TESTDATA:-}" ] || [ ! -d "$SOZAI_TESTDATA" ]; then
        echo "skipped: no test data"
        exit 77
    fi
}
