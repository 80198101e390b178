# Max for Windows (sourced by build/lib.sh): pyrus.mxe64, pyrus.usb.mxe64 and pyrus~.mxe64
# (two copies of the loader, a DLL exporting ext_main, linked to MaxAPI.dll
# with raw-dylib) and the core pyrus_max.dll, cross-built with mingw-w64 for
# x86_64-pc-windows-gnu into target/package/max-windows/; and the fake-max
# kernel built for Windows (fake-max.exe, MaxAPI.dll, MaxAudio.dll) into its kernel/
# folder: a test host, never shipped (a MaxAPI.dll beside the externals
# would stand in for Max's own). The tests run them under wine, in the
# Windows test host of build/windows.sh (its wine prefix, with the ProcessPrng
# shim, and its embeddable CPython 3.13 with numpy).

WINDOWS_RELEASE="$ROOT/target/$WINDOWS_TARGET/release" # WINDOWS_TARGET: build/windows.sh
MAX_WINDOWS_PACKAGE="$ROOT/target/package/max-windows"
MAX_WINDOWS_KERNEL="$MAX_WINDOWS_PACKAGE/kernel"

# Builds the Windows Max externals and the Windows kernel. A machine without
# mingw-w64 or the rustup target (windows_ready, build/windows.sh) gets one
# "skipped:" line.
package_max_windows() {
  if ! windows_ready; then
    echo "package: skipped: Max for Windows: $PD_WINDOWS_UNAVAILABLE"
    return 0
  fi
  # The core for Python's stable ABI (as core_build, build/abi3.sh): pyo3
  # imports python3.dll with raw-dylib, so no Windows Python is needed to build.
  (cd "$ROOT" && PYO3_BUILD_EXTENSION_MODULE=1 cargo build -q --release \
    --target "$WINDOWS_TARGET" -p pyrus-max -p pyrus-max-loader -p fake-max)
  rm -rf "$MAX_WINDOWS_PACKAGE"
  mkdir -p "$MAX_WINDOWS_KERNEL"
  cp "$WINDOWS_RELEASE/pyrus_max_loader.dll" "$MAX_WINDOWS_PACKAGE/pyrus.mxe64"
  cp "$WINDOWS_RELEASE/pyrus_max_loader.dll" "$MAX_WINDOWS_PACKAGE/pyrus.usb.mxe64"
  cp "$WINDOWS_RELEASE/pyrus_max_loader.dll" "$MAX_WINDOWS_PACKAGE/pyrus~.mxe64"
  cp "$WINDOWS_RELEASE/pyrus_max.dll" "$MAX_WINDOWS_PACKAGE/"
  cp "$WINDOWS_RELEASE/fake-max.exe" "$WINDOWS_RELEASE/MaxAPI.dll" "$MAX_WINDOWS_KERNEL/"
  # MaxAudio.dll: forwards Max's MaxAudio functions (MSP, buffer~) to the
  # kernel's MaxAPI.dll, which implements them; no code, no entry point.
  x86_64-w64-mingw32-gcc -shared -nostdlib -Wl,-e,0 -o "$MAX_WINDOWS_KERNEL/MaxAudio.dll" \
    "$ROOT/externals/fake-max/MaxAudio.def"
  echo "package: $MAX_WINDOWS_PACKAGE"
}

# The externals as the Windows tests load them: target/max-windows-test/,
# the package's files flat with scripts/ and, in support/, the test Python
# (build/windows.sh's), where the loader looks for a bundled python3X.dll.
MAX_WINDOWS_TEST="$ROOT/target/max-windows-test"
max_windows_test_layout() {
  rm -rf "$MAX_WINDOWS_TEST"
  mkdir -p "$MAX_WINDOWS_TEST"
  cp "$MAX_WINDOWS_PACKAGE"/*.mxe64 "$MAX_WINDOWS_PACKAGE"/*.dll "$MAX_WINDOWS_TEST/"
  cp -r "$ROOT/scripts" "$MAX_WINDOWS_TEST/scripts"
  find "$MAX_WINDOWS_TEST/scripts" -name __pycache__ -prune -exec rm -rf {} +
  cp -r "$PD_WINDOWS_DIR/python-3.13" "$MAX_WINDOWS_TEST/support"
}

# Runs under wine, against the Windows builds: the kernel's own tests
# (externals/fake-max/tests/kernel.rs, its C externals cross-built with
# mingw-w64) and pyrus's Max scenario tests (externals/pyrus-max/tests/
# max_*.rs) with the Windows CPython 3.13, in the Windows test host
# (windows_test_builds prepares it, unless build/test did). Every scenario
# runs there; when this machine cannot (no wine, no mingw-w64, no Python to
# download), the whole pass is added, with why, to the list named $1 (the
# skipped tests). Fails if a test fails.
test_max_windows() {
  local -n windows_skipped="$1"
  [ -n "${PYRUS_WINE:-}${PD_WINDOWS_UNAVAILABLE:-}" ] || windows_test_builds
  local why="" failed=0
  if [ ! -e "$MAX_WINDOWS_KERNEL/fake-max.exe" ]; then
    why="not built (see package_max_windows's line above)"
  elif [ -z "${PYRUS_WINE:-}" ]; then
    why="$PD_WINDOWS_UNAVAILABLE"
  fi
  if [ -n "$why" ]; then
    windows_skipped+=("Max for Windows under wine, fake-max's kernel.rs and pyrus-max's max_*.rs: $why")
    return 0
  fi
  max_windows_test_layout
  # The scenario files (max_package checks the package's files, the same
  # on every platform: the Linux pass runs it).
  local files=() file
  for file in "$ROOT"/externals/pyrus-max/tests/max_*.rs; do
    file=$(basename "$file" .rs)
    [ "$file" = max_package ] || files+=(--test "$file")
  done
  # One wine server for every run of the suite (each run would start and
  # stop its own), stopped at the end; no audio driver probed.
  wineserver -p >/dev/null 2>&1 || true
  local quiet="winealsa.drv,winepulse.drv,wineoss.drv=d"
  (cd "$ROOT" && WINEDLLOVERRIDES="$quiet" FAKE_MAX_WINDOWS="$MAX_WINDOWS_KERNEL" \
    cargo test -q --no-fail-fast -p fake-max --test kernel) || failed=1
  # Linux only: it stops the kernel's process, which under wine is wine's.
  local stall=a_scheduler_late_by_a_stall_runs_each_clock_at_its_own_time
  windows_skipped+=("Max for Windows under wine: max_clock $stall: it stops the kernel's process (Linux only)")
  (cd "$ROOT" && WINEDLLOVERRIDES="$quiet" PYRUS_FAKE_MAX_WINDOWS="$MAX_WINDOWS_KERNEL" \
    PYRUS_MAX_WINDOWS="$MAX_WINDOWS_TEST" cargo test -q --no-fail-fast -p pyrus-max "${files[@]}" -- --skip "$stall") || failed=1
  wineserver -k >/dev/null 2>&1 || true
  return "$failed"
}
