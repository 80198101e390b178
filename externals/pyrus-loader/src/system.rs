//! The real system for [`crate::discover::search`]: the process's
//! environment, its files, the linker's cache (`ldconfig -p`, Linux) and the
//! registry (PEP 514, Windows).
//!
//! # Threading
//! Called by `load_python`, on the host thread that loads the loader; keeps
//! no state.

use crate::discover::System;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The largest `pyvenv.cfg` read (a few lines in practice).
const MAX_READ: u64 = 1 << 16;

pub struct Real;

impl System for Real {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var_os(name).filter(|v| !v.is_empty()).map(|v| v.to_string_lossy().into_owned())
    }

    fn is_file(&self, path: &Path) -> bool {
        path.is_file()
    }

    fn read(&self, path: &Path) -> Option<String> {
        // Checked first: opening a FIFO for reading would block the host.
        if !path.is_file() {
            return None;
        }
        let mut text = String::new();
        std::fs::File::open(path).ok()?.take(MAX_READ).read_to_string(&mut text).ok()?;
        Some(text)
    }

    fn canonical(&self, path: &Path) -> PathBuf {
        std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned())
    }

    fn linker_cache(&self) -> Vec<PathBuf> {
        if !cfg!(target_os = "linux") {
            return Vec::new();
        }
        let ldconfig = ["/sbin/ldconfig", "/usr/sbin/ldconfig"].into_iter().find(|p| Path::new(p).is_file());
        let Ok(out) = std::process::Command::new(ldconfig.unwrap_or("ldconfig"))
            .arg("-p")
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .output()
        else {
            return Vec::new();
        };
        linker_cache_libraries(&String::from_utf8_lossy(&out.stdout), LDCONFIG_ARCH)
    }

    fn registry(&self) -> Vec<(String, PathBuf)> {
        registry::installations()
    }

    fn own_folder(&self) -> Option<PathBuf> {
        crate::own_folder()
    }
}

/// How `ldconfig -p` marks this architecture's libraries (`(libc6,x86-64)`);
/// None where it marks none (32-bit x86) or it is not known here.
const LDCONFIG_ARCH: Option<&str> = if cfg!(target_arch = "x86_64") {
    Some("x86-64")
} else if cfg!(target_arch = "aarch64") {
    Some("AArch64")
} else {
    None
};

/// The libpython paths of `ldconfig -p`'s output
/// (`\tlibpython3.11.so.1.0 (libc6,x86-64) => /lib/x86_64-linux-gnu/libpython3.11.so.1.0`)
/// marked for `arch`.
pub fn linker_cache_libraries(listing: &str, arch: Option<&str>) -> Vec<PathBuf> {
    listing
        .lines()
        .filter_map(|line| {
            let (left, path) = line.split_once(" => ")?;
            let (name, flags) = left.trim().split_once(' ')?;
            let fits = arch.is_none_or(|a| flags.split([',', '(', ')']).any(|f| f.trim() == a));
            (name.starts_with("libpython3.") && fits).then(|| PathBuf::from(path.trim()))
        })
        .collect()
}

#[cfg(not(windows))]
mod registry {
    pub fn installations() -> Vec<(String, std::path::PathBuf)> {
        Vec::new()
    }
}

#[cfg(windows)]
mod registry {
    use std::ffi::OsString;
    use std::os::windows::ffi::{OsStrExt, OsStringExt};
    use std::path::PathBuf;
    use windows_sys::Win32::System::Registry::{
        RegCloseKey, RegEnumKeyExW, RegGetValueW, RegOpenKeyExW, HKEY, HKEY_CURRENT_USER, HKEY_LOCAL_MACHINE, KEY_READ,
        RRF_RT_REG_SZ,
    };

    fn wide(text: &str) -> Vec<u16> {
        std::ffi::OsStr::new(text).encode_wide().chain([0]).collect()
    }

    /// PEP 514's `Software\Python\PythonCore\<tag>\InstallPath` of the
    /// user's, then the machine's installations.
    pub fn installations() -> Vec<(String, PathBuf)> {
        let mut found = Vec::new();
        for hive in [HKEY_CURRENT_USER, HKEY_LOCAL_MACHINE] {
            let mut key: HKEY = std::ptr::null_mut();
            let path = wide(r"Software\Python\PythonCore");
            // SAFETY: a predefined hive, a NUL-terminated subkey, and an out
            // handle, closed below.
            if unsafe { RegOpenKeyExW(hive, path.as_ptr(), 0, KEY_READ, &mut key) } != 0 {
                continue;
            }
            for index in 0.. {
                let mut name = [0u16; 256];
                let mut len = name.len() as u32;
                // SAFETY: an open key and a buffer with its length in
                // characters; the optional outputs are null.
                let status = unsafe {
                    RegEnumKeyExW(
                        key,
                        index,
                        name.as_mut_ptr(),
                        &mut len,
                        std::ptr::null(),
                        std::ptr::null_mut(),
                        std::ptr::null_mut(),
                        std::ptr::null_mut(),
                    )
                };
                if status != 0 {
                    break;
                }
                let tag = String::from_utf16_lossy(&name[..len as usize]);
                let sub = wide(&format!(r"{tag}\InstallPath"));
                let mut value = vec![0u16; 1024];
                let mut bytes = (value.len() * 2) as u32;
                // SAFETY: an open key, a NUL-terminated subkey, the default
                // value (null name) as a string into a buffer of `bytes` bytes.
                let status = unsafe {
                    RegGetValueW(
                        key,
                        sub.as_ptr(),
                        std::ptr::null(),
                        RRF_RT_REG_SZ,
                        std::ptr::null_mut(),
                        value.as_mut_ptr().cast(),
                        &mut bytes,
                    )
                };
                if status == 0 {
                    let chars = (bytes as usize / 2).saturating_sub(1).min(value.len());
                    found.push((tag, PathBuf::from(OsString::from_wide(&value[..chars]))));
                }
            }
            // SAFETY: the key opened above.
            unsafe { RegCloseKey(key) };
        }
        found
    }
}

#[cfg(all(test, windows))]
mod tests {
    use std::os::windows::ffi::OsStrExt;
    use windows_sys::Win32::System::Registry::{RegDeleteTreeW, RegSetKeyValueW, HKEY_CURRENT_USER, REG_SZ};

    fn wide(text: &str) -> Vec<u16> {
        std::ffi::OsStr::new(text).encode_wide().chain([0]).collect()
    }

    /// Removes the test's tag from the registry, also when the test fails.
    struct Tag(Vec<u16>);
    impl Drop for Tag {
        fn drop(&mut self) {
            // SAFETY: a predefined hive and a NUL-terminated subkey.
            unsafe { RegDeleteTreeW(HKEY_CURRENT_USER, self.0.as_ptr()) };
        }
    }

    #[test]
    fn the_registry_lists_a_pep_514_installation_of_the_user() {
        // A tag of its own (not a version, so nothing else takes it), removed after.
        let tag = format!("pyrus-test-{}", std::process::id());
        let key = wide(&format!(r"Software\Python\PythonCore\{tag}\InstallPath"));
        let _remove = Tag(wide(&format!(r"Software\Python\PythonCore\{tag}")));
        let install = wide(r"C:\pyrus test\Python");
        // SAFETY: a predefined hive, a NUL-terminated subkey (created), the
        // default value (null name), a string of its size in bytes.
        let status = unsafe {
            RegSetKeyValueW(
                HKEY_CURRENT_USER,
                key.as_ptr(),
                std::ptr::null(),
                REG_SZ,
                install.as_ptr().cast(),
                (install.len() * 2) as u32,
            )
        };
        assert_eq!(status, 0, "RegSetKeyValueW");
        let found = super::registry::installations();
        assert!(found.contains(&(tag, std::path::PathBuf::from(r"C:\pyrus test\Python"))), "{found:?}");
    }
}
