# Linux arm64 (aarch64: Raspberry Pi OS 64-bit, arm64 Debian and Ubuntu):
# pyrus for 32-bit-float Pd, cross-built with cargo-zigbuild and zig (the
# venv of build/macos.sh's zig_venv), into target/package/pd-linux-arm64/pyrus/,
# its ELF checks, and a run in Debian's own arm64 Pd under qemu-aarch64.
# Sourced by build/lib.sh.
#
# zig rather than Debian's gcc-aarch64-linux-gnu: zig links against the
# glibc version it is told (ARM64_GLIBC, here older than any arm64 Debian or
# Ubuntu still supported), where Debian's cross gcc links against the build
# machine's (bookworm's 2.36), and the venv is there for the macOS builds
# anyway: nothing to install with apt.
#
# libusb: built from rusb's own copy of its source (libusb1-sys's vendored
# build, Linux usbfs backend, netlink hotplug, no udev) and linked in
# statically: PKG_CONFIG=false keeps libusb1-sys from finding the build
# machine's amd64 libusb. The package then needs no libusb on the user's
# machine (Raspberry Pi OS does not install libusb-1.0 by default), and
# nothing from the build machine's multiarch folders is linked in.

ARM64_TARGET=aarch64-unknown-linux-gnu
# The oldest glibc the binaries load with: Debian 10's, Ubuntu 18.10's.
ARM64_GLIBC=2.28
ARM64_DIR="$ROOT/target/arm64"
PD_ARM64_PACKAGE="$ROOT/target/package/pd-linux-arm64/pyrus"
# Why the arm64 build cannot be made here (empty: it can).
ARM64_SKIP=""

# The rustup target and zig: returns 1 with ARM64_SKIP set when either
# cannot be had.
arm64_toolchain() {
  if ! rustup target list --installed 2>/dev/null | grep -qx "$ARM64_TARGET" &&
    ! rustup target add "$ARM64_TARGET" >/dev/null 2>&1; then
    ARM64_SKIP="the rustup target $ARM64_TARGET cannot be installed here"
    return 1
  fi
  zig_venv || { ARM64_SKIP="$ZIG_SKIP"; return 1; }
}

# Builds the loader and the abi3 core (no libpython linked:
# PYO3_BUILD_EXTENSION_MODULE, as core_build) for arm64 against glibc
# $ARM64_GLIBC, and lays them out as package_pd does the amd64 ones, with
# the same user files. Returns 1 (the log's tail printed) if the build fails.
arm64_build() {
  local out="$ARM64_DIR/cargo/$ARM64_TARGET/release" log="$ARM64_DIR/build.log"
  mkdir -p "$ARM64_DIR"
  # Linked without debug info: this machine's strip (deken.sh's strip_debug)
  # cannot read an arm64 ELF.
  (cd "$ROOT" && env CARGO_TARGET_DIR="$ARM64_DIR/cargo" CARGO_INCREMENTAL=0 PYO3_BUILD_EXTENSION_MODULE=1 \
    CARGO_PROFILE_RELEASE_STRIP=debuginfo PKG_CONFIG=false PATH="$MACOS_DIR/venv/bin:$PATH" cargo zigbuild --release \
    --target "$ARM64_TARGET.$ARM64_GLIBC" -p pyrus-pd-loader -p pyrus-pd) >"$log" 2>&1 ||
    { tail -n 40 "$log" >&2; return 1; }
  rm -rf "$PD_ARM64_PACKAGE"
  mkdir -p "$PD_ARM64_PACKAGE"
  cp "$out/libpyrus.so" "$PD_ARM64_PACKAGE/pyrus.pd_linux"
  cp "$out/libpyrus.so" "$PD_ARM64_PACKAGE/pyrus.usb.pd_linux"
  cp "$out/libpyrus.so" "$PD_ARM64_PACKAGE/pyrus~.pd_linux"
  cp "$out/libpyrus_pd.so" "$PD_ARM64_PACKAGE/libpyrus_pd.so"
  pd_user_files "$PD_ARM64_PACKAGE"
}

# What build/package calls: the arm64 folder, or one line saying why it
# cannot be built here.
package_arm64() {
  if ! arm64_toolchain; then
    echo "skipped: Linux arm64 build: $ARM64_SKIP"
    return 0
  fi
  arm64_build || return 1
  echo "package: $PD_ARM64_PACKAGE"
}

# The test host, once, into target/arm64/: qemu-aarch64 (Debian's
# qemu-user-static) and a folder of Debian bookworm's own arm64 packages
# unpacked (Pd, libpython3.11 and its standard library, numpy, what they
# depend on), fetched with a private apt state under target/arm64/apt (no
# `dpkg --add-architecture`: the machine's apt is left as it is). Sets
# ARM64_QEMU and ARM64_SYSROOT, or returns 1 with ARM64_SKIP set.
ARM64_SYSROOT="$ARM64_DIR/sysroot"
arm64_test_host() {
  ARM64_QEMU=$(command -v qemu-aarch64-static || command -v qemu-aarch64 || true)
  if [ -z "$ARM64_QEMU" ]; then
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends qemu-user-static >/dev/null 2>&1 || true
    ARM64_QEMU=$(command -v qemu-aarch64-static || true)
    [ -n "$ARM64_QEMU" ] || { ARM64_SKIP="no qemu-aarch64, and apt-get could not install qemu-user-static"; return 1; }
  fi
  local packages="puredata-core libpython3.11 python3-numpy"
  [ "$(cat "$ARM64_SYSROOT/.packages" 2>/dev/null)" = "$packages" ] && return 0
  local apt="$ARM64_DIR/apt" keyring
  keyring=$(sed -n 's/^Signed-By: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
  keyring=${keyring:-/usr/share/keyrings/debian-archive-keyring.gpg}
  rm -rf "$apt" "$ARM64_SYSROOT.new"
  mkdir -p "$apt/lists/partial" "$apt/archives/partial" "$apt/cache" "$ARM64_SYSROOT.new"
  echo "deb [arch=arm64 signed-by=$keyring] http://deb.debian.org/debian bookworm main" >"$apt/sources.list"
  : >"$apt/status"
  local opts=(-o Dir::Etc::SourceList="$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o Dir::State::Lists="$apt/lists" -o Dir::State::Status="$apt/status" -o Dir::Cache="$apt/cache"
    -o Dir::Cache::Archives="$apt/archives" -o APT::Architecture=arm64 -o APT::Architectures::=arm64
    -o Debug::NoLocking=1 -o APT::Sandbox::User=root)
  if ! { apt-get "${opts[@]}" update -qq && apt-get "${opts[@]}" install -d -y -qq --no-install-recommends \
    $packages; } >"$ARM64_DIR/apt.log" 2>&1; then
    ARM64_SKIP="Debian's arm64 packages cannot be fetched (see $ARM64_DIR/apt.log)"
    return 1
  fi
  local deb
  for deb in "$apt"/archives/*.deb; do dpkg-deb -x "$deb" "$ARM64_SYSROOT.new"; done
  # What dpkg's update-alternatives would link (numpy loads libblas.so.3).
  local lib
  for lib in blas/libblas.so.3 lapack/liblapack.so.3; do
    ln -s "$lib" "$ARM64_SYSROOT.new/usr/lib/aarch64-linux-gnu/${lib#*/}"
  done
  echo "$packages" >"$ARM64_SYSROOT.new/.packages"
  rm -rf "$ARM64_SYSROOT" "$apt"
  mv "$ARM64_SYSROOT.new" "$ARM64_SYSROOT"
  rm -f "$ARM64_DIR/apt.log"
}

# The libraries an arm64 binary of the package may need: glibc's and
# libgcc's, which every arm64 glibc system has (no libpython: the loader
# finds one at run time; no libusb: it is linked in).
ARM64_SYSTEM_LIBS=" libc.so.6 libm.so.6 libpthread.so.0 libdl.so.2 librt.so.1 libgcc_s.so.1 ld-linux-aarch64.so.1 "

# Checks the arm64 package folder $1 with readelf: every binary is an
# AArch64 ELF that needs only ARM64_SYSTEM_LIBS and no glibc newer than
# ARM64_GLIBC, the loaders export pyrus_setup, setup_pyrus0x2eusb and pyrus_tilde_setup, the
# core pyrus_core_setup (what the loader looks up). One line per failure;
# returns 1 on any.
arm64_check() {
  local dir="$1" status=0 file
  for file in pyrus.pd_linux pyrus.usb.pd_linux pyrus~.pd_linux libpyrus_pd.so; do
    local path="$dir/$file" machine lib glibc symbol exports wanted
    if [ ! -f "$path" ]; then
      echo "FAIL: $file: missing"
      status=1
      continue
    fi
    machine=$(readelf -h "$path" 2>/dev/null | sed -n 's/^ *Machine: *//p')
    [ "$machine" = AArch64 ] || { echo "FAIL: $file: machine '$machine', not AArch64"; status=1; }
    for lib in $(readelf -d "$path" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
      [[ $ARM64_SYSTEM_LIBS == *" $lib "* ]] || { echo "FAIL: $file: needs $lib (only glibc's and libgcc's libraries may be)"; status=1; }
    done
    glibc=$(readelf -V -W "$path" | sed -n 's/.*Name: GLIBC_\([0-9.]*\).*/\1/p' | sort -V | tail -n 1)
    if [ "$(printf '%s\n' "${glibc:-0}" "$ARM64_GLIBC" | sort -V | tail -n 1)" != "$ARM64_GLIBC" ]; then
      echo "FAIL: $file: needs glibc $glibc, newer than $ARM64_GLIBC"
      status=1
    fi
    exports=" $(readelf --dyn-syms -W "$path" | awk '$4 == "FUNC" && $5 == "GLOBAL" && $7 != "UND" {print $8}' | tr '\n' ' ') "
    wanted="pyrus_setup setup_pyrus0x2eusb pyrus_tilde_setup"
    [ "$file" = libpyrus_pd.so ] && wanted=pyrus_core_setup
    for symbol in $wanted; do
      [[ $exports == *" $symbol "* ]] || { echo "FAIL: $file: does not export $symbol"; status=1; }
    done
  done
  return "$status"
}

# arm64_check on copies of the package folder $1 broken one way each: every
# one must fail, or the check proves nothing. Returns 1 if one passes.
arm64_check_selftest() {
  local broken="$ARM64_DIR/broken/pyrus" status=0 entry
  # FILE|FROM|TO: the same number of bytes, FROM replaced by TO in FILE.
  local breaks=(
    "pyrus.usb.pd_linux|setup_pyrus0x2eusb|setup_pyrus0x2eus_"
    "libpyrus_pd.so|libdl.so.2|libpython3"
    "pyrus.pd_linux|GLIBC_2.28|GLIBC_2.99"
    "libpyrus_pd.so|amd64|"
  )
  for entry in "${breaks[@]}"; do
    IFS='|' read -r file from to <<<"$entry"
    rm -rf "$(dirname "$broken")"
    mkdir -p "$(dirname "$broken")"
    cp -r "$1" "$broken"
    if [ "$from" = amd64 ]; then
      # This machine's own core in place of the arm64 one.
      [ -f "$ROOT/target/release/libpyrus_pd.so" ] || continue
      cp "$ROOT/target/release/libpyrus_pd.so" "$broken/$file"
      entry="$file|the amd64 core"
    else
      "$PYO3_PYTHON" -c 'import sys; p, a, b = sys.argv[1:]; d = open(p, "rb").read(); assert a.encode() in d; open(p, "wb").write(d.replace(a.encode(), b.encode()))' \
        "$broken/$file" "$from" "$to"
    fi
    if arm64_check "$broken" >/dev/null; then
      echo "FAIL: arm64_check passes a broken copy ($entry)"
      status=1
    fi
  done
  rm -rf "$(dirname "$broken")"
  return "$status"
}

# The Pd integration suite's files the arm64 pass leaves out, as FILE|why,
# and its tests, as FILE::TEST|why; build/test names them as skipped.
ARM64_FILES_SKIP=(
  "pd_python|finds, builds or hides the build machine's amd64 Pythons and venvs, which arm64 Pd cannot load (the pass names Debian's arm64 libpython with PYRUS_LIBPYTHON)"
  "pd_float_size|runs the amd64 32-bit and Pd64 packages in amd64 Pd and Pd64"
  "pd_deken|checks and unpacks the Linux amd64 .dek"
  "pd_gui|draws the help patches in amd64 Pd's Tk GUI under Xvfb"
  "pd_usb_qemu|boots a QEMU system guest for real usbredirect (25 s more); pd_usb's usbredir tests run in arm64 Pd"
)
ARM64_TESTS_SKIP=(
  "pd_detached::workers_run_at_normal_priority_under_realtime_pd|Pd's -rt starts pd-watchdog, an arm64 program this machine's kernel cannot run (qemu-user without binfmt_misc)"
  "pd_pool::quit_while_a_job_holds_the_gil_in_c_exits_at_once|its premise (the job is inside the C regex when Pd quits) is a race the test wins by microseconds natively and loses under qemu now and then: a job still in Python bytecode between its send and the regex is interrupted by the exit's async exception and ends at once, so no 'still busy' (that is the exit working, the case under test not reached)"
  "pd_usb::devices_lists_one_message_per_device_then_the_count|this machine has no USB bus (no /dev/bus/usb): the arm64 build's libusb (built in, no udev) then cannot start ('usb: Other error'), where Debian's udev libusb assumes one; every arm64 board has one"
)

# What build/test calls (`test_arm64 skipped`): builds the arm64 package,
# checks it (arm64_check, then arm64_check_selftest), and runs the Pd
# integration suite (externals/pyrus-pd/tests) but for what
# ARM64_FILES_SKIP and ARM64_TESTS_SKIP name, with pd_machine's #[ignore]d
# test, in Debian's own arm64 Pd (puredata-core) under qemu-aarch64 with
# Debian's arm64 CPython 3.11 and numpy (arm64_test_host): target/arm64/pd
# is the Pd the suite runs ($PYRUS_PD), qemu with the sysroot, told which
# libpython to load and where its standard library is. What is left out or
# cannot run here is added, with why, to the array named by $1. Returns 1 if
# the build, a check or a test failed.
test_arm64() {
  local -n arm64_skipped="$1"
  if ! arm64_toolchain; then
    arm64_skipped+=("Linux arm64 build, its checks and the Pd suite in arm64 Pd: $ARM64_SKIP")
    return 0
  fi
  arm64_build || { echo "FAIL: the Linux arm64 build (log: $ARM64_DIR/build.log)"; return 1; }
  local status=0
  arm64_check "$PD_ARM64_PACKAGE" || status=1
  arm64_check_selftest "$PD_ARM64_PACKAGE" || status=1
  [ "$status" = 0 ] && echo "test_arm64: $PD_ARM64_PACKAGE: AArch64, glibc <= $ARM64_GLIBC, only glibc's libraries needed, the setup functions exported (and each broken copy fails)"
  if ! arm64_test_host; then
    arm64_skipped+=("arm64 Pd under qemu-aarch64, all of the Pd suite: $ARM64_SKIP")
    return "$status"
  fi
  local pd="$ARM64_DIR/pd" sysroot="$ARM64_SYSROOT"
  cat >"$pd" <<WRAPPER
#!/bin/sh
# Debian's arm64 Pd under qemu-aarch64 (build/arm64.sh's test_arm64 writes this).
PYRUS_LIBPYTHON="\${PYRUS_LIBPYTHON:-$sysroot/usr/lib/aarch64-linux-gnu/libpython3.11.so.1.0}"
PYTHONHOME="\${PYTHONHOME:-$sysroot/usr}"
export PYRUS_LIBPYTHON PYTHONHOME
exec "$ARM64_QEMU" -L "$sysroot" "$sysroot/usr/lib/puredata/bin/pd" "\$@"
WRAPPER
  chmod +x "$pd"
  local args=(--exact --include-ignored) tests=()
  suite_pass arm64_skipped "arm64 Pd" ARM64_TESTS_SKIP ARM64_FILES_SKIP tests args
  echo "test_arm64: the Pd integration suite in Debian's arm64 Pd under qemu-aarch64, with $PD_ARM64_PACKAGE"
  (cd "$ROOT" && PYRUS_PD="$pd" PYRUS_PD_PACKAGE="$PD_ARM64_PACKAGE" PYRUS_PD_MACHINE=aarch64 \
    cargo test -p pyrus-pd --no-fail-fast "${tests[@]}" -- "${args[@]}") || status=1
  return "$status"
}
