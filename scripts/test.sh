#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test. The README's test command.
#   scripts/test.sh              build in build/ and run all tests
#   scripts/test.sh --sanitize   the same under ASan+UBSan, in build-asan/
set -euo pipefail
cd "$(dirname "$0")/.."

sanitize=0
for arg in "$@"; do
  case "$arg" in
    --sanitize) sanitize=1 ;;
    *) echo "usage: $0 [--sanitize]" >&2; exit 2 ;;
  esac
done

scripts/install-deps.sh

build=build
cmake_args=(-G Ninja -DCMAKE_BUILD_TYPE=Release -DDBTOKEN_WERROR=ON)
if [ "$sanitize" -eq 1 ]; then
  build=build-asan
  # -O1 keeps sanitized tests quick; -g1 (line tables) is all a sanitizer report needs.
  cmake_args=(-G Ninja -DDBTOKEN_WERROR=ON -DDBTOKEN_SANITIZE=ON -DDBTOKEN_BUILD_BENCH=OFF
              -DCMAKE_BUILD_TYPE=Debug
              "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g1")
  export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=0"
  export LSAN_OPTIONS="suppressions=$PWD/tests/sanitizers/lsan.supp:print_suppressions=0"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
fi

generator_ok=1
if [ -f "$build/CMakeCache.txt" ] && ! grep -q "CMAKE_GENERATOR:INTERNAL=Ninja" "$build/CMakeCache.txt"; then
  generator_ok=0
fi
[ "$generator_ok" -eq 1 ] || rm -rf "$build"

cmake -S . -B "$build" "${cmake_args[@]}" >/dev/null
cmake --build "$build" -j 2
ctest --test-dir "$build" --output-on-failure -j 2 --timeout 900
