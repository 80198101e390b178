# Pd64: the double-precision Pd test host, pyrus's build for it, and the Pd
# integration suite run in it. Sourced by build/lib.sh (which sets $ROOT).

# Builds a double-precision Pd ("Pd64", PD_FLOATSIZE=64) from Debian's own
# puredata source (lib.sh's debian_pd_source), once, into target/pd64/ (a
# test host), and sets $PYRUS_PD64.
PD64_DIR="$ROOT/target/pd64"
build_pd64() {
  local pd="$PD64_DIR/puredata/src/pd"
  if [ ! -x "$pd" ]; then
    debian_pd_source "$PD64_DIR"
    (cd "$PD64_DIR/puredata" && ./autogen.sh >/dev/null 2>&1 \
      && ./configure --disable-portaudio --disable-jack CFLAGS="-O2 -DPD_FLOATSIZE=64" >/dev/null \
      && make -j2 >/dev/null 2>&1) || { echo "build_pd64: building Pd64 failed" >&2; exit 1; }
  fi
  export PYRUS_PD64="$pd"
}

# Builds pyrus for Pd64 (the `pd64` feature of pyrus-pd and its loader:
# pd-sys's double-precision bindings) into target/package/pd64/pyrus/: the
# 32-bit package's folder (package_pd makes it first: help, scripts, README,
# whatever it holds) with the Pd64 binaries in place of its own, so the two
# never differ in anything else. Its own cargo target folder: the cdylibs of
# both float sizes have the same file names, and in one folder each build
# would overwrite the other's.
PD64_PACKAGE="$ROOT/target/package/pd64/pyrus"
export PYRUS_PD64_PACKAGE="$PD64_PACKAGE"
package_pd64() {
  [ -f "$PD_PACKAGE/pyrus.pd_linux" ] || { echo "package_pd64: no $PD_PACKAGE: package_pd makes it first" >&2; exit 1; }
  local out="$ROOT/target/pd64-cargo/release"
  # PYO3_BUILD_EXTENSION_MODULE: no libpython linked in, as core_build's
  # (build/abi3.sh): the loader finds one at run time.
  (cd "$ROOT" && PYO3_BUILD_EXTENSION_MODULE=1 CARGO_TARGET_DIR="$ROOT/target/pd64-cargo" cargo build --release \
    -p pyrus-pd -p pyrus-pd-loader --features pyrus-pd/pd64,pyrus-pd-loader/pd64)
  rm -rf "$PD64_PACKAGE"
  mkdir -p "$(dirname "$PD64_PACKAGE")"
  cp -r "$PD_PACKAGE" "$PD64_PACKAGE"
  # Tests run since package_pd may have left Python's caches in its scripts.
  find "$PD64_PACKAGE" -name __pycache__ -prune -exec rm -rf {} +
  cp "$out/libpyrus.so" "$PD64_PACKAGE/pyrus.pd_linux"
  cp "$out/libpyrus.so" "$PD64_PACKAGE/pyrus.usb.pd_linux"
  cp "$out/libpyrus.so" "$PD64_PACKAGE/pyrus~.pd_linux"
  cp "$out/libpyrus_pd.so" "$PD64_PACKAGE/libpyrus_pd.so"
  echo "package: $PD64_PACKAGE"
}

# The suite's tests that cannot apply to Pd64, as FILE::TEST|why: the Pd64
# pass leaves them out (cargo test --skip TEST --exact) and build/test names
# them as skipped.
PD64_SKIP=(
  "pd_messages::numbers_in_code_that_pd_rounded_are_named|asserts Pd's 32-bit rounding (123456789 typed is 123456792); pd_precision's tests are its Pd64 counterpart, run in both passes"
  "pd_float_size::a_32_bit_build_in_pd64_is_refused_with_what_to_install_and_pd_goes_on|runs both float sizes itself (the 32-bit package in Pd64): the 32-bit pass runs it"
  "pd_float_size::a_pd64_build_in_32_bit_pd_is_refused_with_what_to_install_and_pd_goes_on|runs both float sizes itself (the Pd64 package in 32-bit Pd): the 32-bit pass runs it"
)

# Runs the Pd integration suite (externals/pyrus-pd/tests) a second time,
# in Pd64 ($PYRUS_PD, which support/mod.rs runs) with the Pd64 package
# ($PYRUS_PD_PACKAGE), but for the tests of PD64_SKIP, which it adds to the
# array named by $1 (build/test's list of skipped tests). The suite's one
# #[ignore]d test (Pd's -rt) runs where SCHED_FIFO is allowed, as in the
# 32-bit pass, and is added to the skipped where it is not. Returns cargo's
# status.
test_pd64() {
  local -n pd64_skipped="$1"
  local args=(--exact) tests=() no_files=()
  suite_pass pd64_skipped Pd64 PD64_SKIP no_files tests args
  if chrt -f 1 true 2>/dev/null; then
    args+=(--include-ignored)
  else
    pd64_skipped+=("Pd64: pd_detached workers_run_at_normal_priority_under_realtime_pd: SCHED_FIFO is not allowed here (chrt -f 1 true fails)")
  fi
  echo "test_pd64: the Pd integration suite in Pd64 ($PYRUS_PD64), with $PD64_PACKAGE"
  (cd "$ROOT" && PYRUS_PD="$PYRUS_PD64" PYRUS_PD_PACKAGE="$PD64_PACKAGE" cargo test -p pyrus-pd --no-fail-fast "${tests[@]}" -- "${args[@]}")
}
