#!/usr/bin/env bash
# A full install (daemon, plugins, SDK) ships no header but the SDK's: include/ is exactly
# sdk/include. Set by tests/sdk/CMakeLists.txt: CMAKE, SOURCE_DIR, BUILD_DIR, WORK_DIR.
set -euo pipefail

[[ "$WORK_DIR" == */sdk-full-install ]] || { echo "FAIL: unexpected WORK_DIR '$WORK_DIR'" >&2; exit 1; }
rm -rf "$WORK_DIR"
"$CMAKE" --install "$BUILD_DIR" --prefix "$WORK_DIR"
diff -r "$SOURCE_DIR/sdk/include" "$WORK_DIR/include" ||
    { echo "FAIL: a full install's include/ differs from sdk/include" >&2; exit 1; }
echo "include/ holds exactly sdk/include/tradestore/*.h"
