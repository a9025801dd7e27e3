#!/bin/sh
# build.sh — the two commands of the README, on a fresh Debian 12 machine:
#
#   sh build.sh demo    install what is missing, build, run sozai on the sample
#   sh build.sh check   install what is missing, build, run the whole test suite
#
# Packages are installed with apt-get (as root, or through sudo) only when
# missing.  The build is the usual autotools one, in this directory.
set -eu
cd "$(dirname "$0")"

BUILD_PKGS="build-essential autoconf automake libtool pkg-config libpng-dev libtiff-dev liblcms2-dev zlib1g-dev check"
TEST_PKGS="python3 python3-numpy python3-pil python3-psd-tools gimp"

install_missing() {
    missing=""
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
    done
    [ -z "$missing" ] && return 0
    echo "build.sh: installing$missing"
    if [ "$(id -u)" = 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo=sudo; else
        echo "build.sh: please install:$missing" >&2
        exit 1
    fi
    $sudo apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends $missing >/dev/null
}

build() {
    [ -x configure ] || ./autogen.sh
    [ -f Makefile ] || ./configure --enable-werror
    make -j"$(nproc)"
}

case "${1:-}" in
demo)
    install_missing $BUILD_PKGS
    build
    mkdir -p out
    set -x
    ./cli/sozai samples/character.psd info
    ./cli/sozai samples/character.psd to-srgb --depth 8 bleed --radius 4 -o out/character-bleed.psd
    ./cli/sozai out/character-bleed.psd export-layers -o 'out/parts/%02i_%n.png'
    ./cli/sozai samples/character.psd complete --debug out/complete-debug.png -o out/character-complete.psd
    ./cli/sozai out/character-complete.psd export-layers -o 'out/complete/%02i_%n.png'
    ;;
check)
    install_missing $BUILD_PKGS $TEST_PKGS
    build
    status=0
    make -j"$(nproc)" check || status=$?
    echo "== test summaries"
    for log in tests/*.log; do
        [ -f "$log" ] || continue
        printf '%-28s %s\n' "$(basename "$log" .log)" "$(grep -h -E '^([0-9]+%: )?Checks: ' "$log" | tail -1)"
    done
    [ -f test-suite.log ] && grep -E '^# (TOTAL|PASS|SKIP|XFAIL|FAIL|XPASS|ERROR):' test-suite.log
    exit $status
    ;;
install)
    # (for CI's extra stages: what else they need, installed the same way)
    shift
    install_missing "$@"
    ;;
*)
    echo "usage: sh build.sh demo | check | install PACKAGE..." >&2
    exit 2
    ;;
esac
