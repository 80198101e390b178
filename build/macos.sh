# The macOS builds (sourced by lib.sh): universal2 (x86_64 + arm64)
# pyrus.pd_darwin for Pd and the pyrus.mxo / pyrus.usb.mxo bundles for Max,
# built on Linux with cargo-zigbuild and zig (both from PyPI, in a venv under
# target/macos), and natively with Apple's toolchain on a Mac (the macOS CI
# workflow). They cannot run here: build/macos.py reads the files.
#
# Linking: Pd's and Max's functions are looked up when the host loads the
# binary (`-undefined dynamic_lookup`), and so are Python's in the cores:
# the loader has loaded libpython RTLD_GLOBAL by then. Nothing names a
# Python library at link time (its data symbols would fail to bind against
# another Python than the build machine's).
#
# Signing: arm64 macOS loads only signed code; an ad-hoc signature (no
# identity) is enough. Apple's and zig's linkers write one into every arm64
# image they link ("linker-signed"), and lipo keeps each slice as it is, so
# the built binaries are signed without a separate signer (their x86_64
# slices are not, which x86_64 macOS allows). `rcodesign` (crates.io's
# apple-codesign) re-signs every file, and binds each bundle's Info.plist,
# when it is installed (PYRUS_RCODESIGN or on PATH); on a Mac, Apple's
# codesign does. The build does not install rcodesign: `cargo install` took
# 25 minutes here (10 of CPU), on every fresh CI machine. build/macos.py
# check verifies whichever signature is there against the bytes it covers.
#
# USB: libusb's macOS backend needs IOKit from Apple's SDK, which Linux does
# not have: without an SDK (SDKROOT) the Linux build links libusb with its
# null backend, so [pyrus.usb] there reaches only usbredir peers, no local
# device ("usb list" finds none). A build on a Mac, or with SDKROOT naming a
# MacOSX SDK, has the real backend.

MACOS_DIR="$ROOT/target/macos"
MACOS_TARGETS=(x86_64-apple-darwin aarch64-apple-darwin)
PD_DARWIN_PACKAGE="$ROOT/target/package/pd-darwin/pyrus"
MAX_DARWIN_PACKAGE="$ROOT/target/package/max-darwin"
# The oldest macOS the binaries load in: Max 8.2's (arm64's is 11.0 anyway).
# Without it zig marks them for its own SDK's version (15.0).
MACOS_MIN=10.13
# Why the macOS builds cannot be made on this machine (empty: they can).
MACOS_SKIP=""

# Installs what the Linux build of the macOS binaries needs, once, quietly:
# the two rustup targets, and cargo-zigbuild and zig in target/macos/venv.
# Sets MACOS_SKIP and returns 1 when something cannot be had.
macos_toolchain() {
  local installed t
  installed=$(rustup target list --installed 2>/dev/null || true)
  for t in "${MACOS_TARGETS[@]}"; do
    if ! grep -qx "$t" <<<"$installed" && ! rustup target add "$t" >/dev/null 2>&1; then
      MACOS_SKIP="the rustup target $t cannot be installed here"
      return 1
    fi
  done
  [ "$(uname -s)" = Darwin ] && return 0
  zig_venv || { MACOS_SKIP="$ZIG_SKIP"; return 1; }
  [ -n "${SDKROOT:-}" ] || macos_null_libusb || { MACOS_SKIP="libusb does not build with zig cc"; return 1; }
}

# cargo-zigbuild and zig (PyPI's wheels) in target/macos/venv, once,
# quietly: the linker of the macOS builds and of the Linux arm64 build
# (build/arm64.sh). Returns 1 with the reason in ZIG_SKIP when they cannot
# be installed.
zig_venv() {
  local venv="$MACOS_DIR/venv"
  mkdir -p "$MACOS_DIR"
  # python-zig's first line names the venv's Python: a venv copied from
  # elsewhere is made again.
  if [ ! -x "$venv/bin/cargo-zigbuild" ] || [ ! -x "$venv/bin/python-zig" ] ||
    [ "$(head -n 1 "$venv/bin/python-zig")" != "#!$venv/bin/python3" ]; then
    rm -rf "$venv"
    if ! { "$PYO3_PYTHON" -m venv "$venv" &&
      "$venv/bin/pip" install -q --disable-pip-version-check --only-binary :all: \
        ziglang==0.17.1 cargo-zigbuild==0.24.1; } >"$MACOS_DIR/venv.log" 2>&1; then
      ZIG_SKIP="ziglang and cargo-zigbuild cannot be installed from PyPI (see $MACOS_DIR/venv.log)"
      rm -rf "$venv"
      return 1
    fi
  fi
  rm -f "$MACOS_DIR/venv.log"
}

# libusb with its null backend, built with zig cc per architecture into
# target/macos/libusb/ARCH-MIN/, and the cargo configuration that makes rusb's
# libusb1-sys take it instead of building its IOKit backend (cargo's
# override of a `links = "usb-1.0"` build script).
macos_null_libusb() {
  local src config="$MACOS_DIR/libusb.toml" arch target
  src=$(cargo metadata --format-version 1 --manifest-path "$ROOT/Cargo.toml" 2>/dev/null |
    "$PYO3_PYTHON" -c 'import json, sys, os; print(next(os.path.dirname(p["manifest_path"]) for p in json.load(sys.stdin)["packages"] if p["name"] == "libusb1-sys"))') ||
    return 1
  : >"$config.new"
  for target in "${MACOS_TARGETS[@]}"; do
    arch=${target%%-*}
    local out="$MACOS_DIR/libusb/$arch-$MACOS_MIN"
    if [ ! -f "$out/libusb-1.0.a" ] || [ "$ROOT/build/macos-libusb-clock.c" -nt "$out/libusb-1.0.a" ]; then
      rm -rf "$out"
      mkdir -p "$out/include"
      cp "$src/libusb/libusb/libusb.h" "$out/include/"
      : >"$out/config.h"
      local file
      for file in core descriptor hotplug io strerror sync os/null_usb os/events_posix os/threads_posix; do
        "$MACOS_DIR/venv/bin/python-zig" cc -target "$arch-macos" -mmacosx-version-min="$MACOS_MIN" -O2 -c -I"$out" -I"$src/libusb/libusb" \
          -DPRINTF_FORMAT\(a,b\)= -DENABLE_LOGGING=1 -DHAVE_SYS_TIME_H=1 -DHAVE_NFDS_T=1 -DPLATFORM_POSIX=1 \
          -DHAVE_CLOCK_GETTIME=1 '-DDEFAULT_VISIBILITY=__attribute__((visibility("default")))' \
          "$src/libusb/libusb/$file.c" -o "$out/${file##*/}.o" || return 1
      done
      "$MACOS_DIR/venv/bin/python-zig" cc -target "$arch-macos" -mmacosx-version-min="$MACOS_MIN" -O2 -c "$ROOT/build/macos-libusb-clock.c" \
        -o "$out/clock.o" || return 1
      "$MACOS_DIR/venv/bin/python-zig" ar rcs "$out/libusb-1.0.a" "$out"/*.o || return 1
      # Cargo does not see an overriding library change: what links it is
      # built again.
      CARGO_TARGET_DIR="$MACOS_DIR/cargo" cargo clean -q --manifest-path "$ROOT/Cargo.toml" --release \
        --target "$target" -p libusb1-sys 2>/dev/null || true
    fi
    cat >>"$config.new" <<EOF
[target.$target."usb-1.0"]
rustc-link-search = ["native=$out"]
rustc-link-lib = ["static=usb-1.0"]
include = "$out/include"
EOF
  done
  mv "$config.new" "$config"
}

# Builds the four macOS binaries as universal2 files into
# target/macos/universal/: the Pd loader and core, the Max loader and core
# (each slice signed by its linker, arm64's ad hoc; see above).
# Returns 1 (its log's tail printed) if the build fails.
macos_build() {
  # The cores for Python's stable ABI (their default abi3 feature gives pyo3
  # the version, 3.10, so no PYO3_CROSS_PYTHON_VERSION), linking no
  # libpython (PYO3_BUILD_EXTENSION_MODULE, as core_build).
  local env=(CARGO_TARGET_DIR="$MACOS_DIR/cargo" CARGO_INCREMENTAL=0 PYO3_BUILD_EXTENSION_MODULE=1
    MACOSX_DEPLOYMENT_TARGET="$MACOS_MIN")
  local flags="-C link-arg=-Wl,-undefined,dynamic_lookup -C link-arg=-Wl,-dead_strip_dylibs" t
  for t in "${MACOS_TARGETS[@]}"; do
    local upper=${t^^}
    env+=("CARGO_TARGET_${upper//-/_}_RUSTFLAGS=$flags")
  done
  local packages=(-p pyrus-pd-loader -p pyrus-pd -p pyrus-max-loader -p pyrus-max) log="$MACOS_DIR/build.log"
  local out="$MACOS_DIR/universal"
  if [ "$(uname -s)" = Darwin ]; then
    # On a Mac: Apple's linker and SDK. PKG_CONFIG=false: libusb1-sys
    # builds its own libusb (a Homebrew one would be a library the binaries
    # name).
    (cd "$ROOT" && env "${env[@]}" PKG_CONFIG=false cargo build --release \
      "${MACOS_TARGETS[@]/#/--target=}" "${packages[@]}") >"$log" 2>&1 || { tail -n 40 "$log" >&2; return 1; }
  else
    local config=()
    [ -n "${SDKROOT:-}" ] || config=(--config "$MACOS_DIR/libusb.toml")
    (cd "$ROOT" && env "${env[@]}" PATH="$MACOS_DIR/venv/bin:$PATH" cargo zigbuild --release \
      "${MACOS_TARGETS[@]/#/--target=}" "${config[@]}" "${packages[@]}") >"$log" 2>&1 ||
      { tail -n 40 "$log" >&2; return 1; }
  fi
  # Joined by name (cargo-zigbuild's own universal2 target pairs the slices
  # of several libraries wrongly).
  mkdir -p "$out"
  local lib
  for lib in libpyrus libpyrus_pd libpyrus_max_loader libpyrus_max; do
    "$PYO3_PYTHON" "$ROOT/build/macos.py" lipo "$out/$lib.dylib" \
      "$MACOS_DIR"/cargo/{x86_64,aarch64}-apple-darwin/release/"$lib.dylib" || return 1
  done
  MACOS_OUT="$out"
}

# Lays out what macos_build built, as Pd and Max load it:
# target/package/pd-darwin/pyrus/ as the Linux Pd folder (pyrus.pd_darwin and
# pyrus.usb.pd_darwin, two copies of the loader, the core beside them, help,
# scripts), and target/package/max-darwin/pyrus.mxo and pyrus.usb.mxo. Each
# bundle holds the core beside its executable: the loader loads the core from
# its own folder, and Max loads only one of them (the first registers both
# classes, so Max finds the other class without loading its file); a copy,
# not a link, survives any unzip tool.
macos_layout() {
  local version
  version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$ROOT/Cargo.toml" | head -n 1)
  rm -rf "$PD_DARWIN_PACKAGE" "$MAX_DARWIN_PACKAGE"
  mkdir -p "$PD_DARWIN_PACKAGE" "$MAX_DARWIN_PACKAGE"
  cp "$MACOS_OUT/libpyrus.dylib" "$PD_DARWIN_PACKAGE/pyrus.pd_darwin"
  cp "$MACOS_OUT/libpyrus.dylib" "$PD_DARWIN_PACKAGE/pyrus.usb.pd_darwin"
  cp "$MACOS_OUT/libpyrus.dylib" "$PD_DARWIN_PACKAGE/pyrus~.pd_darwin"
  cp "$MACOS_OUT/libpyrus_pd.dylib" "$PD_DARWIN_PACKAGE/libpyrus_pd.dylib"
  cp "$ROOT"/help/*.pd "$PD_DARWIN_PACKAGE/"
  cp -r "$ROOT/scripts" "$PD_DARWIN_PACKAGE/scripts"
  find "$PD_DARWIN_PACKAGE/scripts" -name __pycache__ -prune -exec rm -rf {} +
  local file
  for file in pyrus.pd_darwin pyrus.usb.pd_darwin pyrus~.pd_darwin libpyrus_pd.dylib; do
    macos_sign "$PD_DARWIN_PACKAGE/$file" || return 1
  done
  sed "s/@VERSION@/$version/" "$ROOT/package/pd/pyrus-meta.pd" >"$PD_DARWIN_PACKAGE/pyrus-meta.pd"
  cp "$ROOT/README.md" "$PD_DARWIN_PACKAGE/README.md"
  local name
  for name in pyrus pyrus.usb pyrus~; do
    local contents="$MAX_DARWIN_PACKAGE/$name.mxo/Contents"
    mkdir -p "$contents/MacOS"
    cp "$MACOS_OUT/libpyrus_max_loader.dylib" "$contents/MacOS/$name"
    cp "$MACOS_OUT/libpyrus_max.dylib" "$contents/MacOS/libpyrus_max.dylib"
    # A bundle identifier has no `~`: org.pyrus.pyrus- for pyrus~.
    sed -e "s/org\.pyrus\.@NAME@/org.pyrus.${name//\~/-}/" -e "s/@NAME@/$name/g" -e "s/@VERSION@/$version/g" \
      -e "s/@MACOS_MIN@/$MACOS_MIN/g" \
      "$ROOT/package/max/Info.plist.in" >"$contents/Info.plist"
    printf 'iLaX????' >"$contents/PkgInfo"
    macos_sign "$MAX_DARWIN_PACKAGE/$name.mxo" || return 1
  done
}

# Re-signs $1 (a binary, or a bundle: then binding its Info.plist) ad hoc,
# every slice then signed: with rcodesign when it is installed, on a Mac
# with Apple's codesign; otherwise the binaries keep their linker's
# signature (see the top of this file).
macos_sign() {
  local rcodesign="${PYRUS_RCODESIGN:-$(command -v rcodesign || true)}" sign
  if [ -n "$rcodesign" ]; then
    sign=("$rcodesign" sign "$1")
  elif [ "$(uname -s)" = Darwin ]; then
    # codesign signs a bundle only once the code nested in it is signed.
    if [ -d "$1" ]; then
      local main nested
      main=$(basename "$1" .mxo)
      for nested in "$1"/Contents/MacOS/*; do
        [ "$(basename "$nested")" = "$main" ] || codesign --force --sign - "$nested" >/dev/null 2>&1 || return 1
      done
    fi
    sign=(codesign --force --sign - "$1")
  else
    return 0
  fi
  "${sign[@]}" >"$MACOS_DIR/sign.log" 2>&1 || { cat "$MACOS_DIR/sign.log" >&2; return 1; }
}

# What build/package calls: the macOS folders, or one line saying why they
# cannot be built here.
package_macos() {
  mkdir -p "$MACOS_DIR"
  if ! macos_toolchain; then
    echo "skipped: macOS builds: $MACOS_SKIP"
    return 0
  fi
  macos_build || return 1
  macos_layout || return 1
  echo "package: $PD_DARWIN_PACKAGE"
  echo "package: $MAX_DARWIN_PACKAGE"
}

# What build/test calls (`test_macos skipped`): builds the macOS folders and
# checks them with build/macos.py (architectures, exports, what is left
# undefined and how it binds, signatures, bundle layout), against Pd's and
# the Max test kernel's exports and this machine's libpython, and then
# broken copies of them (each must fail). When they cannot be built here:
# one "skipped:" line, and the reason added to the array named $1.
# Returns 1 if the build or a check failed.
test_macos() {
  mkdir -p "$MACOS_DIR"
  if ! macos_toolchain; then
    echo "skipped: macOS builds: $MACOS_SKIP"
    if [ -n "${1:-}" ]; then
      local -n macos_skipped="$1"
      macos_skipped+=("macOS builds and build/macos.py's checks: $MACOS_SKIP")
    fi
    return 0
  fi
  if ! macos_build || ! macos_layout; then
    echo "FAIL: the macOS builds (log: $MACOS_DIR/build.log)"
    return 1
  fi
  local libpython
  libpython=$("$PYO3_PYTHON" -c 'import sysconfig as s, os; print(os.path.join(s.get_config_var("LIBDIR"), s.get_config_var("INSTSONAME") or s.get_config_var("LDLIBRARY")))')
  local hosts=(--pd "$(command -v pd)")
  [ -n "${PYRUS_FAKE_MAX:-}" ] && hosts+=(--max "$PYRUS_FAKE_MAX")
  local args=(--pd-package "$PD_DARWIN_PACKAGE" --max-package "$MAX_DARWIN_PACKAGE" --python "$libpython"
    --macos-min "$MACOS_MIN" "${hosts[@]}")
  local status=0
  "$PYO3_PYTHON" "$ROOT/build/macos.py" check "${args[@]}" >"$MACOS_DIR/check.log" || status=1
  # The same checks on copies broken one way each: every one must fail.
  "$PYO3_PYTHON" "$ROOT/build/macos.py" selftest "${args[@]}" >>"$MACOS_DIR/check.log" || status=1
  # Quiet when all is well: the failures and the counts.
  grep -v '^ok: ' "$MACOS_DIR/check.log"
  return "$status"
}
