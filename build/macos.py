#!/usr/bin/env python3
"""The macOS builds' tools that need no Mac: `lipo` joins thin Mach-O files
into one universal file, `check` checks the built folders by reading the
Mach-O files themselves.

`check` checks, for the Pd folder (pd-darwin/pyrus) and the Max bundles (max-darwin/*.mxo):
- every binary is universal2: one x86_64 and one arm64 slice, nothing else;
- each exports its entry points (_pyrus_setup, _ext_main, the cores' own);
- what each leaves undefined is bound either to libSystem (two-level, by
  library ordinal) or looked up at load (flat, `-undefined dynamic_lookup`),
  and then named by the host (Pd's or the Max kernel's exports) or, for the
  cores only, by libpython; no library of Python (or any other than the
  system's) is named by a load command: Python comes through the loader;
- each arm64 slice carries a code signature whose code directory's page
  hashes match the slice's bytes (and, where it binds Info.plist or the
  bundle's resources, their hashes too): arm64 macOS loads nothing
  unsigned; an x86_64 slice need not be signed, but if it is, the same holds;
- each slice is for macOS (--macos-min, arm64's 11.0, or older) and later;
- each .mxo bundle has Contents/MacOS/NAME, an Info.plist with
  CFBundlePackageType iLaX naming that executable, and PkgInfo iLaX????.

Reference symbol lists come from host binaries given on the command line
(read with `nm`): --pd (Pd's executable), --python (a libpython), --max (the
Max test kernel). Prints one line per check and `macos: N passed, N failed`;
exits 1 if any failed.
"""

import argparse
import hashlib
import os
import plistlib
import struct
import subprocess
import sys

CPU_X86_64 = 0x01000007
CPU_ARM64 = 0x0100000C
ARCHS = {CPU_X86_64: "x86_64", CPU_ARM64: "arm64"}
MH_MAGIC_64 = 0xFEEDFACF
FAT_MAGIC, FAT_MAGIC_64 = 0xCAFEBABE, 0xCAFEBABF
LC_SYMTAB, LC_DYSYMTAB, LC_CODE_SIGNATURE = 0x2, 0xB, 0x1D
LC_VERSION_MIN_MACOSX, LC_BUILD_VERSION, PLATFORM_MACOS = 0x24, 0x32, 1
# Every load command that names a library the binary needs: load, weak,
# reexport, lazy, upward.
LC_DYLIBS = (0xC, 0x80000018, 0x8000001F, 0x20, 0x80000023)
LC_DYLD_INFO, LC_DYLD_CHAINED_FIXUPS = (0x22, 0x80000022), 0x80000034
DYNAMIC_LOOKUP_ORDINAL = 0xFE
# The libraries a binary may name: the C library, whose libdl is part of it,
# and what libusb's IOKit backend needs where an SDK has it (a Mac).
SYSTEM_LIBRARIES = (
    "/usr/lib/libSystem.B.dylib",
    "/usr/lib/libobjc.A.dylib",
    "/System/Library/Frameworks/CoreFoundation.framework/Versions/A/CoreFoundation",
    "/System/Library/Frameworks/IOKit.framework/Versions/A/IOKit",
    "/System/Library/Frameworks/Security.framework/Versions/A/Security",
)
# A code directory's hash types: the digest of a page (type 3 is SHA-256
# cut to 20 bytes).
CS_HASHES = {
    1: lambda b: hashlib.sha1(b).digest(),
    2: lambda b: hashlib.sha256(b).digest(),
    3: lambda b: hashlib.sha256(b).digest()[:20],
    4: lambda b: hashlib.sha384(b).digest(),
}
CSSLOT_INFOSLOT, CSSLOT_RESOURCEDIR = 1, 3


class Results:
    def __init__(self):
        self.passed = self.failed = 0

    def check(self, ok, what, why=""):
        if ok:
            self.passed += 1
            print(f"ok: {what}")
        else:
            self.failed += 1
            print(f"FAIL: {what}{': ' + why if why else ''}")
        return ok


def cstring(data, at):
    """The NUL-terminated string at `at`."""
    return data[at : data.index(b"\0", at)].decode()


def slices(data):
    """(cputype, bytes of the slice) for each architecture of a Mach-O file."""
    magic = struct.unpack_from(">I", data)[0]
    if magic in (FAT_MAGIC, FAT_MAGIC_64):
        count = struct.unpack_from(">I", data, 4)[0]
        out = []
        for i in range(count):
            if magic == FAT_MAGIC:
                cpu, _, offset, size, _ = struct.unpack_from(">iiIII", data, 8 + 20 * i)
            else:
                cpu, _, offset, size, _, _ = struct.unpack_from(">iiQQII", data, 8 + 32 * i)
            out.append((cpu & 0xFFFFFFFF, data[offset : offset + size]))
        return out
    if struct.unpack_from("<I", data)[0] == MH_MAGIC_64:
        return [(struct.unpack_from("<I", data, 4)[0], data)]
    raise ValueError("not a Mach-O file")


class Slice:
    """The parts of one thin 64-bit Mach-O image that the checks read."""

    def __init__(self, data):
        self.data = data
        magic, self.cpu, _, self.filetype, ncmds, _, self.flags, _ = struct.unpack_from("<8I", data)
        if magic != MH_MAGIC_64:
            raise ValueError("not a 64-bit little-endian Mach-O slice")
        self.dylibs, self.signature, self.chained, self.bind_streams = [], None, None, []
        self.platform = self.minos = None
        symtab = dysymtab = None
        at = 32
        for _ in range(ncmds):
            cmd, size = struct.unpack_from("<II", data, at)
            if cmd in LC_DYLIBS:
                name_at = struct.unpack_from("<I", data, at + 8)[0]
                name = data[at + name_at : at + size].split(b"\0", 1)[0].decode()
                self.dylibs.append(name)
            elif cmd == LC_BUILD_VERSION:
                self.platform, minos = struct.unpack_from("<II", data, at + 8)
                self.minos = (minos >> 16, (minos >> 8) & 0xFF)
            elif cmd == LC_VERSION_MIN_MACOSX:
                minos = struct.unpack_from("<I", data, at + 8)[0]
                self.platform, self.minos = PLATFORM_MACOS, (minos >> 16, (minos >> 8) & 0xFF)
            elif cmd == LC_SYMTAB:
                symtab = struct.unpack_from("<4I", data, at + 8)
            elif cmd == LC_DYSYMTAB:
                dysymtab = struct.unpack_from("<6I", data, at + 8)
            elif cmd == LC_CODE_SIGNATURE:
                self.signature = struct.unpack_from("<II", data, at + 8)
            elif cmd in LC_DYLD_INFO:
                info = struct.unpack_from("<10I", data, at + 8)
                # Binds and lazy binds; weak binds only coalesce definitions.
                self.bind_streams = [(info[2], info[3]), (info[6], info[7])]
            elif cmd == LC_DYLD_CHAINED_FIXUPS:
                self.chained = struct.unpack_from("<II", data, at + 8)
            at += size
        if symtab is None or dysymtab is None:
            raise ValueError("no symbol table")
        symoff, _, stroff, _ = symtab
        _, _, iext, next_, iundef, nundef = dysymtab

        def symbol(i):
            strx, ntype, _, desc, _ = struct.unpack_from("<IBBHQ", data, symoff + 16 * i)
            return cstring(data, stroff + strx), ntype, desc

        # Defined external, not private-external: what dlsym finds.
        self.exports = {n for n, t, _ in map(symbol, range(iext, iext + next_)) if not t & 0x10}
        # Undefined: the names, whose binding imports() tells.
        self.undefined = {n for n, _, _ in map(symbol, range(iundef, iundef + nundef))}

    def imports(self):
        """name -> library ordinal of what dyld binds: the bind, and lazy
        bind opcodes of LC_DYLD_INFO(_ONLY), or the imports table of
        LC_DYLD_CHAINED_FIXUPS, whichever the linker wrote. Special
        ordinals as in nlist: 0 this image, 0xfe flat lookup, 0xff the
        executable, 0xfd a weak lookup."""
        out = {}
        for offset, size in self.bind_streams:
            bind_opcodes(self.data[offset : offset + size], out)
        if self.chained is not None:
            chained_imports(self.data, self.chained[0], out)
        return out


def uleb(data, i):
    value = shift = 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def bind_opcodes(data, out):
    """Adds name -> ordinal for each symbol a dyld bind opcode stream binds."""
    i, ordinal, name = 0, 0, None
    while i < len(data):
        byte = data[i]
        i += 1
        op, imm = byte & 0xF0, byte & 0x0F
        if op == 0x10:  # SET_DYLIB_ORDINAL_IMM
            ordinal = imm
        elif op == 0x20:  # SET_DYLIB_ORDINAL_ULEB
            ordinal, i = uleb(data, i)
        elif op == 0x30:  # SET_DYLIB_SPECIAL_IMM: 0 self, -1 executable, -2 flat, -3 weak
            ordinal = (0x100 - (0x10 - imm)) if imm else 0
        elif op == 0x40:  # SET_SYMBOL_TRAILING_FLAGS_IMM
            name = cstring(data, i)
            i += len(name.encode()) + 1
        elif op in (0x60, 0x70, 0x80):  # SET_ADDEND_SLEB, SET_SEGMENT_AND_OFFSET_ULEB, ADD_ADDR_ULEB
            _, i = uleb(data, i)
        elif op in (0x90, 0xB0):  # DO_BIND, DO_BIND_ADD_ADDR_IMM_SCALED
            out[name] = ordinal
        elif op == 0xA0:  # DO_BIND_ADD_ADDR_ULEB
            _, i = uleb(data, i)
            out[name] = ordinal
        elif op == 0xC0:  # DO_BIND_ULEB_TIMES_SKIPPING_ULEB
            _, i = uleb(data, i)
            _, i = uleb(data, i)
            out[name] = ordinal
        elif op not in (0x00, 0x50):  # DONE (lazy streams go on), SET_TYPE_IMM
            raise ValueError(f"bind opcode {byte:#x} is not read here")


def chained_imports(data, base, out):
    """Adds name -> ordinal for each import of a chained fixups header."""
    _, _, imports_offset, symbols_offset, count, imports_format, _ = struct.unpack_from("<7I", data, base)
    for i in range(count):
        if imports_format in (1, 2):  # DYLD_CHAINED_IMPORT(_ADDEND): 8-bit ordinal
            raw = struct.unpack_from("<I", data, base + imports_offset + (4 if imports_format == 1 else 8) * i)[0]
            ordinal, name_at = raw & 0xFF, raw >> 9
        else:  # DYLD_CHAINED_IMPORT_ADDEND64: 16-bit ordinal
            raw = struct.unpack_from("<Q", data, base + imports_offset + 16 * i)[0]
            ordinal, name_at = raw & 0xFFFF, raw >> 32
            ordinal = ordinal & 0xFF if ordinal >= 0xFFF0 else ordinal
        at = base + symbols_offset + name_at
        out[cstring(data, at)] = ordinal


def verify_signature(sl, bound_files):
    """None if the slice's signature is valid for its bytes (and for the
    files it binds, `bound_files`: slot -> path), else why not."""
    if sl.signature is None:
        return "no LC_CODE_SIGNATURE"
    dataoff, datasize = sl.signature
    blob = sl.data[dataoff : dataoff + datasize]
    magic, _, count = struct.unpack_from(">III", blob)
    if magic != 0xFADE0CC0:
        return f"no embedded signature superblob (magic {magic:#x})"
    directories, signer = [], False
    for i in range(count):
        kind, offset = struct.unpack_from(">II", blob, 12 + 8 * i)
        if kind == 0 or 0x1000 <= kind < 0x1005:
            directories.append(offset)
        elif kind == 0x10000:  # CSSLOT_SIGNATURESLOT: a CMS signature, empty when ad hoc
            signer = struct.unpack_from(">I", blob, offset + 4)[0] > 8
    if not directories:
        return "no code directory"
    sha256 = False
    for cd in directories:
        magic, length, version, flags, hash_at, _, nspecial, ncode, limit = struct.unpack_from(">9I", blob, cd)
        hash_size, hash_type, _, page_log = struct.unpack_from(">BBBB", blob, cd + 36)
        if magic != 0xFADE0C02:
            return f"code directory magic {magic:#x}"
        if hash_type not in CS_HASHES:
            return f"unknown hash type {hash_type}"
        if version >= 0x20300:
            limit64 = struct.unpack_from(">Q", blob, cd + 56)[0]
            limit = limit64 or limit
        if limit != dataoff:
            return f"code limit {limit} is not where the signature starts ({dataoff})"
        page = 1 << page_log if page_log else limit
        if ncode != (limit + page - 1) // page:
            return f"{ncode} page hashes for {limit} bytes in pages of {page}"
        hash_fn = CS_HASHES[hash_type]
        for i in range(ncode):
            want = blob[cd + hash_at + i * hash_size : cd + hash_at + (i + 1) * hash_size]
            got = hash_fn(sl.data[i * page : min((i + 1) * page, limit)])
            if want != got:
                return f"page {i} hash does not match the slice's bytes"
        for slot in range(1, nspecial + 1):
            want = blob[cd + hash_at - slot * hash_size : cd + hash_at - (slot - 1) * hash_size]
            if want == bytes(hash_size) or slot not in bound_files:
                continue
            path = bound_files[slot]
            if not os.path.exists(path):
                return f"special slot {slot} binds {path}, which is missing"
            with open(path, "rb") as f:
                if hash_fn(f.read()) != want:
                    return f"special slot {slot} does not match {path}"
        if not flags & 0x2 and not signer:
            return "neither ad hoc (flag 0x2) nor signed by an identity"
        sha256 = sha256 or hash_type == 2
    # arm64 macOS takes only SHA-256 code directories.
    return None if sha256 else "no SHA-256 code directory"


def nm_exports(path):
    """The global symbols a host binary defines (ELF: its dynamic symbols),
    with Mach-O's leading underscore."""
    with open(path, "rb") as f:
        elf = f.read(4) == b"\x7fELF"
    args = ["nm", "-D", "--defined-only", path] if elf else ["nm", "-gU", path]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    names = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2:
            name = parts[-1].split("@", 1)[0]
            names.add("_" + name if elf else name)
    return names


def check_binary(r, path, role, exports, host, python, bound_files=None):
    """The checks of one universal binary: `role` names it in the output,
    `exports` what it must export, `host` the names the host gives it (None:
    no reference list here), `python` libpython's names (None: none allowed)."""
    name = os.path.relpath(path, r.root)
    if not r.check(os.path.isfile(path), f"{name} exists"):
        return
    with open(path, "rb") as f:
        data = f.read()
    try:
        parts = [(cpu, Slice(d)) for cpu, d in slices(data)]
    except (ValueError, struct.error) as e:
        r.check(False, f"{name} is a Mach-O file", str(e))
        return
    archs = sorted(ARCHS.get(cpu, hex(cpu)) for cpu, _ in parts)
    r.check(archs == ["arm64", "x86_64"], f"{name} holds x86_64 and arm64", f"it holds {archs}")
    for cpu, sl in parts:
        arch = ARCHS.get(cpu, hex(cpu))
        oldest = max(r.macos_min, (11, 0)) if cpu == CPU_ARM64 else r.macos_min
        r.check(
            sl.platform == PLATFORM_MACOS and sl.minos is not None and sl.minos <= oldest,
            f"{name} [{arch}] is for macOS {'.'.join(map(str, oldest))} and later",
            f"platform {sl.platform}, macOS {'.'.join(map(str, sl.minos or ()))} and later",
        )
        missing = sorted(set(exports) - sl.exports)
        r.check(not missing, f"{name} [{arch}] exports {', '.join(exports)}", f"missing {missing}")
        others = [d for d in sl.dylibs if d not in SYSTEM_LIBRARIES]
        r.check(not others, f"{name} [{arch}] names no library but the system's", f"it names {others}")
        wrong = []
        ordinals = sl.imports()
        if sl.undefined and not ordinals:
            wrong.append(f"no bind information for {len(sl.undefined)} undefined symbols")
        for sym, ordinal in sorted(ordinals.items()):
            if ordinal == DYNAMIC_LOOKUP_ORDINAL:
                if python is None and sym in r.python_names:
                    wrong.append(f"{sym} (Python's, in a loader)")
                elif (python is None or sym not in python) and host is not None and sym not in host:
                    wrong.append(f"{sym} (looked up at load, but neither {role} nor Python defines it)")
            elif 1 <= ordinal <= len(sl.dylibs):
                if sl.dylibs[ordinal - 1] not in SYSTEM_LIBRARIES:
                    wrong.append(f"{sym} (bound to {sl.dylibs[ordinal - 1]})")
            else:
                wrong.append(f"{sym} (library ordinal {ordinal:#x})")
        r.check(
            not wrong,
            f"{name} [{arch}] leaves undefined only the system's, {role}'s and "
            + ("Python's (looked up at load)" if python is not None else "no Python"),
            "; ".join(wrong[:8]) + (f" and {len(wrong) - 8} more" if len(wrong) > 8 else ""),
        )
        if cpu == CPU_X86_64 and sl.signature is None:
            r.check(True, f"{name} [{arch}] is unsigned, which x86_64 macOS allows")
            continue
        why = verify_signature(sl, bound_files or {})
        r.check(why is None, f"{name} [{arch}] is signed, its code directory matching its bytes", why or "")


def check_bundle(r, bundle, host, python):
    """An .mxo bundle: layout, Info.plist, PkgInfo, its executable, and the
    core beside it."""
    name = os.path.basename(bundle)[: -len(".mxo")]
    contents = os.path.join(bundle, "Contents")
    plist_path = os.path.join(contents, "Info.plist")
    plist = None
    if r.check(os.path.isfile(plist_path), f"{name}.mxo has Contents/Info.plist"):
        with open(plist_path, "rb") as f:
            try:
                plist = plistlib.load(f)
            except Exception as e:  # noqa: BLE001 - any parse failure is the finding
                r.check(False, f"{name}.mxo Info.plist parses", str(e))
    if plist is not None:
        r.check(plist.get("CFBundlePackageType") == "iLaX", f"{name}.mxo Info.plist: CFBundlePackageType iLaX",
                f"it is {plist.get('CFBundlePackageType')!r}")
        r.check(plist.get("CFBundleExecutable") == name, f"{name}.mxo Info.plist: CFBundleExecutable {name}",
                f"it is {plist.get('CFBundleExecutable')!r}")
        r.check(bool(plist.get("CFBundleIdentifier")), f"{name}.mxo Info.plist: a CFBundleIdentifier")
    pkginfo = os.path.join(contents, "PkgInfo")
    text = open(pkginfo, "rb").read() if os.path.isfile(pkginfo) else None
    r.check(text == b"iLaX????", f"{name}.mxo has Contents/PkgInfo iLaX????", f"it holds {text!r}")
    bound = {CSSLOT_INFOSLOT: plist_path, CSSLOT_RESOURCEDIR: os.path.join(contents, "_CodeSignature", "CodeResources")}
    check_binary(r, os.path.join(contents, "MacOS", name), "Max", ["_ext_main"], host, None, bound)
    check_binary(r, os.path.join(contents, "MacOS", "libpyrus_max.dylib"), "Max", ["_pyrus_max_main"], host, python)


def lipo(output, inputs):
    """Writes the thin 64-bit Mach-O files `inputs` as one universal file,
    each slice aligned as Apple's lipo aligns it (arm64 to 16 KiB pages,
    x86_64 to 4 KiB) and kept byte for byte, so its signature stays valid."""
    parts = []
    for path in inputs:
        with open(path, "rb") as f:
            data = f.read()
        magic, cpu, subtype = struct.unpack_from("<III", data)
        if magic != MH_MAGIC_64 or cpu not in ARCHS:
            raise SystemExit(f"lipo: {path} is no thin x86_64 or arm64 Mach-O file")
        parts.append((cpu, subtype, 14 if cpu == CPU_ARM64 else 12, data))
    if len({p[0] for p in parts}) != len(parts):
        raise SystemExit("lipo: two inputs of the same architecture")
    header = struct.pack(">II", FAT_MAGIC, len(parts))
    offset, body = 8 + 20 * len(parts), []
    for cpu, subtype, align, data in parts:
        start = -(-offset // (1 << align)) * (1 << align)
        body.append(bytes(start - offset) + data)
        header += struct.pack(">IIIII", cpu, subtype, start, len(data), align)
        offset = start + len(data)
    with open(output, "wb") as f:
        f.write(header + b"".join(body))


def check(a):
    r = Results()
    r.root = os.path.dirname(os.path.commonpath([os.path.abspath(a.pd_package), os.path.abspath(a.max_package)]))
    r.python_names = nm_exports(a.python)
    r.macos_min = tuple(int(n) for n in a.macos_min.split("."))
    pd = nm_exports(a.pd) if a.pd else None
    mx = nm_exports(a.max) if a.max else None
    for host, what in ((pd, "Pd (--pd)"), (mx, "the Max kernel (--max)")):
        if host is None:
            print(f"skipped: what {what} defines is not compared with what the binaries leave undefined")
    for loader in ("pyrus.pd_darwin", "pyrus.usb.pd_darwin", "pyrus~.pd_darwin"):
        check_binary(r, os.path.join(a.pd_package, loader), "Pd", ["_pyrus_setup", "_setup_pyrus0x2eusb", "_pyrus_tilde_setup"], pd, None)
    check_binary(r, os.path.join(a.pd_package, "libpyrus_pd.dylib"), "Pd", ["_pyrus_core_setup"], pd, r.python_names)
    for bundle in ("pyrus.mxo", "pyrus.usb.mxo"):
        check_bundle(r, os.path.join(a.max_package, bundle), mx, r.python_names)
    print(f"macos: {r.passed} passed, {r.failed} failed")
    return 1 if r.failed else 0


def selftest(a):
    """Breaks copies of the built folders one way at a time and expects
    `check` to fail on each with the finding that names the break: a check
    that cannot fail proves nothing."""
    import contextlib
    import io
    import shutil
    import tempfile

    def thin(path, keep):
        with open(path, "rb") as f:
            kept = [d for cpu, d in slices(f.read()) if cpu == keep]
        with open(path, "wb") as f:
            f.write(kept[0])

    def flip_code_byte(path):
        with open(path, "rb") as f:
            data = bytearray(f.read())
        arm64 = next(d for cpu, d in slices(bytes(data)) if cpu == CPU_ARM64)
        data[bytes(data).find(arm64) + 0x4000 + 17] ^= 0xFF  # in its second page
        with open(path, "wb") as f:
            f.write(data)

    def replace(path, old, new):
        with open(path, "rb") as f:
            data = f.read()
        assert len(old) == len(new) and old in data
        with open(path, "wb") as f:
            f.write(data.replace(old, new))

    pd_loader = os.path.join("pd", "pyrus.pd_darwin")
    mxo = os.path.join("max", "pyrus.usb.mxo", "Contents")
    breaks = [
        ("a bundle without Info.plist", lambda root: os.remove(os.path.join(root, mxo, "Info.plist")),
         "FAIL: pyrus.usb.mxo has Contents/Info.plist"),
        ("a wrong PkgInfo", lambda root: open(os.path.join(root, mxo, "PkgInfo"), "wb").write(b"APPL????"),
         "FAIL: pyrus.usb.mxo has Contents/PkgInfo iLaX????"),
        ("a loader without its x86_64 slice", lambda root: thin(os.path.join(root, pd_loader), CPU_ARM64),
         "pyrus.pd_darwin holds x86_64 and arm64: it holds ['arm64']"),
        ("an arm64 page changed after signing", lambda root: flip_code_byte(os.path.join(root, mxo, "MacOS", "pyrus.usb")),
         "does not match the slice's bytes"),
        ("a loader whose entry point is renamed",
         lambda root: replace(os.path.join(root, pd_loader), b"_pyrus_setup\0", b"_pyrus_setuq\0"),
         "exports _pyrus_setup, _setup_pyrus0x2eusb, _pyrus_tilde_setup: missing ['_pyrus_setup']"),
        ("a core naming a libpython", lambda root: replace(os.path.join(root, "pd", "libpyrus_pd.dylib"),
         b"/usr/lib/libSystem.B.dylib\0", b"/usr/lib/libpython3X.dylib\0"),
         "names no library but the system's: it names ['/usr/lib/libpython3X.dylib']"),
    ]
    r = Results()
    for what, damage, finding in breaks:
        with tempfile.TemporaryDirectory() as root:
            shutil.copytree(a.pd_package, os.path.join(root, "pd"), symlinks=True)
            shutil.copytree(a.max_package, os.path.join(root, "max"), symlinks=True)
            damage(root)
            broken = argparse.Namespace(**vars(a))
            broken.pd_package, broken.max_package = os.path.join(root, "pd"), os.path.join(root, "max")
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                status = check(broken)
            r.check(status == 1 and finding in out.getvalue(), f"check fails on {what}", f"expected {finding!r}")
    print(f"macos selftest: {r.passed} passed, {r.failed} failed")
    return 1 if r.failed else 0


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    j = sub.add_parser("lipo", help="join thin Mach-O files into a universal one")
    j.add_argument("output")
    j.add_argument("inputs", nargs="+")
    folders = argparse.ArgumentParser(add_help=False)
    folders.add_argument("--pd-package", required=True, help="the folder pd-darwin/pyrus")
    folders.add_argument("--max-package", required=True, help="the folder holding pyrus.mxo and pyrus.usb.mxo")
    folders.add_argument("--pd", help="Pd's executable: the names Pd gives externals")
    folders.add_argument("--max", help="the Max kernel: the names Max gives externals")
    folders.add_argument("--python", required=True, help="a libpython: the names Python gives")
    folders.add_argument("--macos-min", default="10.13", help="the oldest macOS the binaries must load in")
    sub.add_parser("check", parents=[folders], help="check the macOS folders")
    sub.add_parser("selftest", parents=[folders], help="check broken copies of the macOS folders: each must fail")
    a = p.parse_args()
    if a.command == "lipo":
        lipo(a.output, a.inputs)
        return 0
    return check(a) if a.command == "check" else selftest(a)


if __name__ == "__main__":
    sys.exit(main())
