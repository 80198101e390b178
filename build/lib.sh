# Shared by the build/ commands: paths, the pinned Python, and the setup step.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Build against the Python that Pd loads at run time (Debian's), not the first
# python3 on PATH (these machines put a pyenv Python there).
export PYO3_PYTHON="${PYO3_PYTHON:-/usr/bin/python3}"
PD_PACKAGE="$ROOT/target/package/pd/pyrus"
export PYRUS_PD_PACKAGE="$PD_PACKAGE"
MAX_PACKAGE="$ROOT/target/package/max/pyrus"
export PYRUS_MAX_PACKAGE="$MAX_PACKAGE"
source "$ROOT/build/deken.sh"

# Installs what is missing on a Debian machine: Pd, Python's headers and numpy,
# libusb, `file` (which names the Max binaries' platforms), zip and unzip (the
# packages); with `setup test`, also what the USB tests need (the C usbredir
# parser for the interop test, QEMU, a kernel and usbredirect for the
# end-to-end test) and what the help patches' test in the real Pd GUI needs
# (Pd's GUI, Xvfb, imagemagick's import). Quiet when everything is there.
setup() {
  local need=() want=(puredata-core python3-dev python3-numpy libusb-1.0-0-dev pkg-config file zip unzip)
  if [ "${1:-}" = test ]; then
    want+=(libusbredirparser-dev qemu-system-x86 linux-image-amd64 busybox-static usbredirect kmod cpio udev
      puredata-gui xvfb xauth imagemagick)
  fi
  for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || need+=("$p")
  done
  if [ ${#need[@]} -gt 0 ]; then
    echo "setup: installing ${need[*]}"
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
  command -v cargo >/dev/null || { echo "setup: cargo is missing: install Rust from rustup.rs" >&2; exit 1; }
}

# Fetches Debian's own puredata source (0.53.1) afresh into $1/puredata
# (with the tools its autogen.sh and configure need), for the test hosts
# built from it: Pd64 (build/pd64.sh) and Pd for Windows (build/windows.sh).
# The source comes through a deb-src line that names the keyring Debian's
# own sources file names (a plain line would conflict with it).
debian_pd_source() {
  local dir="$1" sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  local list=/etc/apt/sources.list.d/pyrus-deb-src.list
  if ! grep -rqs "^deb-src .*debian bookworm main" /etc/apt/sources.list /etc/apt/sources.list.d/; then
    local keyring
    keyring=$(sed -n 's/^Signed-By: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
    keyring=${keyring:-/usr/share/keyrings/debian-archive-keyring.gpg}
    echo "deb-src [signed-by=$keyring] http://deb.debian.org/debian bookworm main" | $sudo tee "$list" >/dev/null
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    dpkg-dev autoconf automake libtool gettext libasound2-dev >/dev/null
  rm -rf "$dir"
  mkdir -p "$dir"
  (cd "$dir" && apt-get source -qq puredata >/dev/null 2>&1 && mv puredata-*/ puredata) \
    || { echo "debian_pd_source: apt-get source puredata failed (is the deb-src line in $list reachable?)" >&2; exit 1; }
}

# What a pass of the Pd integration suite (externals/pyrus-pd/tests) in
# another Pd leaves out: from the arrays named by $3 (FILE::TEST|why) and $4
# (FILE|why), fills the array named by $5 with cargo's `--test FILE` for
# every pd_*.rs but those of $4 (and pd_windows, which needs the wine-tests
# feature) and the one named by $6 with the test binary's `--skip TEST`, and
# adds each left out, labelled $2, to the array named by $1 (build/test's
# list of skipped tests).
suite_pass() {
  local -n pass_skipped="$1" pass_tests_skip="$3" pass_files_skip="$4" pass_tests="$5" pass_args="$6"
  local pass_label="$2" pass_entry pass_test pass_file
  for pass_entry in "${pass_tests_skip[@]}"; do
    pass_test="${pass_entry%%|*}"
    pass_args+=(--skip "${pass_test#*::}")
    pass_skipped+=("$pass_label: ${pass_test/::/ }: ${pass_entry#*|}")
  done
  for pass_entry in "${pass_files_skip[@]}"; do
    pass_skipped+=("$pass_label: all of ${pass_entry%%|*}: ${pass_entry#*|}")
  done
  for pass_file in "$ROOT"/externals/pyrus-pd/tests/pd_*.rs; do
    pass_file=$(basename "$pass_file" .rs)
    [[ " ${pass_files_skip[*]%%|*} pd_windows " == *" $pass_file "* ]] || pass_tests+=(--test "$pass_file")
  done
}

source "$ROOT/build/pd64.sh" # Pd64: build_pd64 (the test host), package_pd64, test_pd64
source "$ROOT/build/windows.sh" # Pd for Windows under wine: package_windows, windows_test_builds, test_pd_windows
source "$ROOT/build/abi3.sh"

source "$ROOT/build/max-windows.sh" # Max for Windows: package_max_windows, test_max_windows (in windows.sh's test host)

# Builds the Pd library and lays it out as Pd loads it.
package_pd() {
  core_build pyrus-pd
  (cd "$ROOT" && cargo build --release -p pyrus-pd-loader)
  rm -rf "$PD_PACKAGE"
  mkdir -p "$PD_PACKAGE"
  # Pd loads the loader, which loads libpython and then the real external.
  cp "$ROOT/target/release/libpyrus.so" "$PD_PACKAGE/pyrus.pd_linux"
  # [pyrus.usb] alone makes Pd look for pyrus.usb.pd_linux: the same loader.
  cp "$ROOT/target/release/libpyrus.so" "$PD_PACKAGE/pyrus.usb.pd_linux"
  # And [pyrus~] alone for pyrus~.pd_linux (its setup: pyrus_tilde_setup).
  cp "$ROOT/target/release/libpyrus.so" "$PD_PACKAGE/pyrus~.pd_linux"
  cp "$ROOT/target/release/libpyrus_pd.so" "$PD_PACKAGE/libpyrus_pd.so"
  pd_user_files "$PD_PACKAGE"
  echo "package: $PD_PACKAGE"
}

# Builds the Linux test builds of the Max externals (Max does not run on
# Linux: the fake-max kernel loads them) and lays them out flat, as the
# externals find their scripts: pyrus.so, pyrus.usb.so and pyrus~.so (copies of the
# loader: Max finds a class by its file name), the real external beside
# them, and scripts/.
MAX_LINUX_PACKAGE="$ROOT/target/package/max-linux"
export PYRUS_MAX_LINUX="$MAX_LINUX_PACKAGE"
package_max_linux() {
  core_build pyrus-max
  (cd "$ROOT" && cargo build --release -p pyrus-max-loader)
  rm -rf "$MAX_LINUX_PACKAGE"
  mkdir -p "$MAX_LINUX_PACKAGE"
  cp "$ROOT/target/release/libpyrus_max_loader.so" "$MAX_LINUX_PACKAGE/pyrus.so"
  cp "$ROOT/target/release/libpyrus_max_loader.so" "$MAX_LINUX_PACKAGE/pyrus.usb.so"
  cp "$ROOT/target/release/libpyrus_max_loader.so" "$MAX_LINUX_PACKAGE/pyrus~.so"
  cp "$ROOT/target/release/libpyrus_max.so" "$MAX_LINUX_PACKAGE/libpyrus_max.so"
  cp -r "$ROOT/scripts" "$MAX_LINUX_PACKAGE/scripts"
  find "$MAX_LINUX_PACKAGE/scripts" -name __pycache__ -prune -exec rm -rf {} +
  echo "package: $MAX_LINUX_PACKAGE"
}

# Builds fake-max, the Max test kernel (not Max) that runs the Linux test
# builds of Max externals, and tells the tests where it is.
build_fake_max() {
  (cd "$ROOT" && cargo build --release -p fake-max)
  export PYRUS_FAKE_MAX="$ROOT/target/release/fake-max"
}

# What the Max scenario tests (externals/pyrus-max/tests/max_*.rs) and
# `build/bench max` run: the fake-max kernel and the Linux test builds of the
# Max externals (their paths in $PYRUS_FAKE_MAX and $PYRUS_MAX_LINUX).
max_test_builds() {
  build_fake_max
  package_max_linux
}

# Lays out the Max package as Max 8 and 9 read one: package-info.json, help
# patchers, reference pages, the script package and examples, and the folders
# for the platform binaries and a bundled Python (empty but for their README
# until the shipping issue builds them).
package_max() {
  rm -rf "$MAX_PACKAGE"
  mkdir -p "$MAX_PACKAGE/help"
  cp -r "$ROOT/package/max/externals" "$ROOT/package/max/support" "$ROOT/package/max/docs" "$MAX_PACKAGE/"
  cp "$ROOT"/help/*.maxhelp "$MAX_PACKAGE/help/"
  # The externals find scripts/ beside their own folder, not in the current one.
  cp -r "$ROOT/scripts" "$MAX_PACKAGE/scripts"
  find "$MAX_PACKAGE/scripts" -name __pycache__ -prune -exec rm -rf {} +
  user_guide > "$MAX_PACKAGE/README.md"
  cp "$ROOT/package/max/license.txt" "$ROOT/CHANGELOG.md" "$MAX_PACKAGE/"
  max_binaries "$MAX_PACKAGE"
  local version
  version=$(pyrus_version)
  local os
  os=$(max_platforms "$MAX_PACKAGE/externals")
  sed -e "s/@VERSION@/$version/" -e "s/@OS@/$os/" "$ROOT/package/max/package-info.json.in" > "$MAX_PACKAGE/package-info.json"
  echo "package: $MAX_PACKAGE"
}

# package-info.json's "os": the platforms whose binaries are in the folder
# $1 (macOS: pyrus.mxo, Windows: pyrus.mxe64), with the architectures they
# hold; {} when there are none.
max_platforms() {
  local entries=() mac="$1/pyrus.mxo/Contents/MacOS/pyrus" win="$1/pyrus.mxe64"
  if [ -e "$1/pyrus.mxo" ]; then
    entries+=("\"macintosh\" : { \"platform\" : [ $(max_archs "$mac" Mach-O x86_64 arm64) ], \"min_version\" : \"none\" }")
  fi
  if [ -e "$win" ]; then
    entries+=("\"windows\" : { \"platform\" : [ $(max_archs "$win" PE32+ x86-64 Aarch64) ], \"min_version\" : \"none\" }")
  fi
  local IFS=,
  echo "{ ${entries[*]} }"
}

# The architectures of the binary $1 as Max names them ("x64", "arm64"),
# given how `file` names its format ($2) and those architectures ($3, $4);
# a binary of another format, or of neither, is an error.
max_archs() {
  local kind archs=()
  kind=$(file -b "$1")
  if [[ $kind == *"$2"* ]]; then
    [[ $kind == *"$3"* ]] && archs+=('"x64"')
    [[ $kind == *"$4"* ]] && archs+=('"arm64"')
  fi
  if [ ${#archs[@]} -eq 0 ]; then
    echo "package: $1 is no $2 binary for x64 or arm64: $kind" >&2
    exit 1
  fi
  local IFS=,
  echo "${archs[*]}"
}
source "$ROOT/build/macos.sh"
source "$ROOT/build/arm64.sh" # Linux arm64: package_arm64, test_arm64
