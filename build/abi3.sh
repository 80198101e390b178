# The cores (the real externals the loaders load: libpyrus_pd.so,
# libpyrus_max.so) for Python's stable ABI, and the abi3 benchmark.
# Sourced by build/lib.sh.
#
# A core never links libpython (PYO3_BUILD_EXTENSION_MODULE: pyo3 then
# leaves Python's symbols undefined): the loader finds a Python at run time
# and opens its libpython RTLD_GLOBAL first, and the core takes Python's
# symbols from it. The engine's own tests still link libpython (they are
# programs); they build without this variable, in the debug profile.

# core_build CRATE [specific]: builds the release core of CRATE (pyrus-pd,
# pyrus-max) for the stable ABI of Python 3.10 on, the one that ships; with
# `specific`, for PYO3_PYTHON's minor version only (for `build/bench abi3`).
core_build() {
  local features=()
  [ "${2:-}" = specific ] && features=(--no-default-features)
  (cd "$ROOT" && PYO3_BUILD_EXTENSION_MODULE=1 cargo build --release -p "$1" "${features[@]}")
}

# `build/bench abi3`: synchronous calls (build/bench_calls.py) with the
# version-specific core and with the abi3 core in the same rounds, each as a
# ratio to the plain Python loop: the package in target/package/pd/pyrus
# with its version-specific core, against a copy of it with the abi3 core.
bench_abi3() {
  core_build pyrus-pd specific >/dev/null 2>&1 || { echo "bench: building the version-specific core failed" >&2; exit 1; }
  local specific="$ROOT/target/bench-abi3/specific/pyrus" abi3="$ROOT/target/bench-abi3/abi3/pyrus"
  rm -rf "$ROOT/target/bench-abi3"
  mkdir -p "$(dirname "$specific")" "$(dirname "$abi3")"
  cp -r "$PD_PACKAGE" "$specific"
  cp "$ROOT/target/release/libpyrus_pd.so" "$specific/libpyrus_pd.so"
  core_build pyrus-pd >/dev/null 2>&1 || { echo "bench: building the abi3 core failed" >&2; exit 1; }
  cp -r "$PD_PACKAGE" "$abi3"
  cp "$ROOT/target/release/libpyrus_pd.so" "$abi3/libpyrus_pd.so"
  echo "abi3: [pyrus bench.inc] with the core for Python $("$PYO3_PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])') (this build) against the abi3 core (AGAINST):"
  PYRUS_PD_PACKAGE="$specific" AGAINST="$abi3" "$PYO3_PYTHON" "$ROOT/build/bench_calls.py"
}

# The loader's unit tests, cross-built for Windows and run under wine: the
# platform module's LoadLibraryExW, GetProcAddress and GetModuleHandleExW,
# the PEP 514 registry, every platform's search order. In the wine prefix
# that windows_test_host makes (with its ProcessPrng shim: Rust's std needs
# it, wine 8.0 lacks it); where there is none, one line in the array named
# by $1 (build/test's skipped tests) says why. Returns the tests' status.
test_loader_windows() {
  local -n loader_skipped="$1"
  if [ -z "${PYRUS_WINE:-}" ] || [ ! -f "${WINEPREFIX:-}/drive_c/windows/system32/bcryptprimitives.dll" ]; then
    loader_skipped+=("pyrus-loader's tests for Windows: no wine prefix with the ProcessPrng shim here (windows_test_host makes it)")
    return 0
  fi
  local exe log="$ROOT/target/loader-windows-tests.txt"
  exe=$(cd "$ROOT" && cargo test --target x86_64-pc-windows-gnu -p pyrus-loader --no-run 2>&1 \
    | grep -o 'target/x86_64-pc-windows-gnu/debug/deps/pyrus_loader-[0-9a-f]*\.exe' | tail -n 1) \
    || { echo "test_loader_windows: cross-building pyrus-loader's tests failed" >&2; return 1; }
  # Output to a file: a pipe keeps wine's helpers alive and can hang.
  local status=0
  (cd "$ROOT" && WINEDEBUG=-all "$PYRUS_WINE" "$exe" --test-threads 1 >"$log" 2>&1) || status=$?
  echo "test_loader_windows: pyrus-loader's unit tests under wine"
  cat "$log"
  return "$status"
}

# pd_python's #[ignore]d test of a machine with no Python at all: it hides
# the system's Pythons from Pd in a mount namespace of its own (unshare -m:
# root or CAP_SYS_ADMIN), where that is allowed; elsewhere one line in the
# array named by $1 (build/test's skipped tests) says why. Returns cargo's
# status.
test_no_python() {
  local -n no_python_skipped="$1"
  if ! unshare -m true 2>/dev/null; then
    no_python_skipped+=("pd_python no_python_at_all_is_one_clear_error_and_pd_carries_on: unshare -m is not allowed here (it hides the system's Pythons)")
    return 0
  fi
  (cd "$ROOT" && cargo test -p pyrus-pd --test pd_python -- --ignored)
}
