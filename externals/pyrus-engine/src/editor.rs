//! `open`: a script in the user's editor.
//!
//! `$VISUAL`, else `$EDITOR` (a command, arguments allowed: `code -w`,
//! `gedit`), else the desktop's default application for the file
//! (`xdg-open` on Linux, `open` on macOS, `start` on Windows). Pd has no
//! terminal, so a terminal editor needs wrapping (`VISUAL="xterm -e vim"`).
//! The editor is started through a shell that returns at once, so nothing
//! waits for it and no child is left unreaped.

use std::path::Path;
use std::process::Command;

pub(crate) fn open(file: &Path) -> Result<(), String> {
    let editor = ["VISUAL", "EDITOR"].iter().find_map(|v| std::env::var(v).ok().filter(|e| !e.trim().is_empty()));
    #[cfg(windows)]
    let mut command = {
        let mut c = Command::new("cmd");
        c.arg("/C").arg("start").arg("").arg(editor.unwrap_or_default()).arg(file);
        c
    };
    #[cfg(not(windows))]
    let mut command = {
        let default = if cfg!(target_os = "macos") { "open" } else { "xdg-open" };
        let mut c = Command::new("sh");
        // "$0" is the editor command line, "$1" the file; `&` detaches it.
        c.arg("-c").arg("$0 \"$1\" >/dev/null 2>&1 </dev/null &").arg(editor.as_deref().unwrap_or(default)).arg(file);
        c
    };
    let status = command.status().map_err(|e| e.to_string())?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("the editor command failed ({status})"))
    }
}
