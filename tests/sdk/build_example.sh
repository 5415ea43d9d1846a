#!/usr/bin/env bash
# Builds sdk/examples/book-allowlist as a customer would: install the SDK component of the
# build tree into a fresh prefix, check what was installed, then configure and build the
# example out of tree with only -DCMAKE_PREFIX_PATH=<prefix>, with the daemon's compiler and
# flags plus -Wall -Wextra -Werror. Leaves $WORK_DIR/book-allowlist.so for the loader tests.
#
# Set by tests/sdk/CMakeLists.txt: CMAKE, SOURCE_DIR, BUILD_DIR, WORK_DIR, GENERATOR,
# MAKE_PROGRAM, CXX_COMPILER, CXX_COMPILER_LAUNCHER, BUILD_TYPE, CXX_FLAGS,
# MODULE_LINKER_FLAGS.
set -euo pipefail
# The dependency check below reads the compiler's .d file; a ccache hit may replay one written
# for another build directory, so this one small build never goes through ccache.
export CCACHE_DISABLE=1

fail() { echo "FAIL: $*" >&2; exit 1; }

[[ "$WORK_DIR" == */sdk-example ]] || fail "refusing to clear unexpected WORK_DIR '$WORK_DIR'"
rm -rf "$WORK_DIR"
mkdir -p "$WORK_DIR"
WORK_DIR=$(realpath "$WORK_DIR")
prefix=$WORK_DIR/prefix
example_src=$SOURCE_DIR/sdk/examples/book-allowlist
example_build=$WORK_DIR/build

echo "== install the sdk component into $prefix"
"$CMAKE" --install "$BUILD_DIR" --prefix "$prefix" --component sdk

echo "== installed headers are exactly sdk/include and sdk/contract/include"
expected_include=$WORK_DIR/expected-include
mkdir -p "$expected_include"
cp -r "$SOURCE_DIR/sdk/include/." "$SOURCE_DIR/sdk/contract/include/." "$expected_include"
diff -r "$expected_include" "$prefix/include" ||
    fail "installed headers differ from sdk/include and sdk/contract/include"
others=$(cd "$prefix" && find . -type f ! -path './include/tradestore/*.h' \
    ! -path './*/cmake/TradeStore/*.cmake')
[[ -z "$others" ]] || fail "the sdk component installs more than headers and CMake files:
$others"

echo "== find_package(TradeStore) from the prefix"
"$CMAKE" -S "$SOURCE_DIR/tests/sdk/package_probe" -B "$WORK_DIR/package-probe" \
    -G "$GENERATOR" -DCMAKE_MAKE_PROGRAM="$MAKE_PROGRAM" -DCMAKE_CXX_COMPILER="$CXX_COMPILER" \
    -DCMAKE_PREFIX_PATH="$prefix" -DEXPECTED_PREFIX="$prefix"

echo "== configure and build the example out of tree"
"$CMAKE" -S "$example_src" -B "$example_build" -G "$GENERATOR" \
    -DCMAKE_MAKE_PROGRAM="$MAKE_PROGRAM" \
    -DCMAKE_CXX_COMPILER="$CXX_COMPILER" \
    -DCMAKE_CXX_COMPILER_LAUNCHER="$CXX_COMPILER_LAUNCHER" \
    -DCMAKE_BUILD_TYPE="$BUILD_TYPE" \
    -DCMAKE_CXX_FLAGS="$CXX_FLAGS -Wall -Wextra -Werror" \
    -DCMAKE_MODULE_LINKER_FLAGS="$MODULE_LINKER_FLAGS" \
    -DCMAKE_PREFIX_PATH="$prefix"
found=$(sed -n 's/^TradeStore_DIR:PATH=//p' "$example_build/CMakeCache.txt")
[[ "$(realpath "$found")" == "$prefix"/* ]] || fail "the example found TradeStore at '$found'"
"$CMAKE" --build "$example_build" --verbose

echo "== the example saw only the installed SDK headers"
if [[ "$GENERATOR" == Ninja* ]]; then
    deps=$("$MAKE_PROGRAM" -C "$example_build" -t deps)
else
    deps=$(find "$example_build" -name '*.o.d' -exec cat {} +)
fi
headers=$(tr ' \\' '\n\n' <<<"$deps" | sed 's/^[[:space:]]*//; s/:$//' | grep -E '\.(h|hpp)$' |
    xargs -r realpath -m | sort -u)
grep -qx "$prefix/include/tradestore/tradestore.h" <<<"$headers" ||
    fail "tradestore.h did not come from the prefix; headers used:
$headers"
leaked=$(grep -E "^($(realpath "$SOURCE_DIR")|$(realpath "$BUILD_DIR"))/" <<<"$headers" |
    grep -v "^$prefix/" || true)
[[ -z "$leaked" ]] || fail "the example used headers from the TradeStore tree:
$leaked"

so=$(find "$example_build" -maxdepth 1 -name 'book-allowlist.so')
[[ -n "$so" ]] || fail "no book-allowlist.so in $example_build"
cp "$so" "$WORK_DIR/book-allowlist.so"
echo "== built $WORK_DIR/book-allowlist.so"
