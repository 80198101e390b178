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
