//! `open`: a script in the user's editor. Owns nothing; runs on the host
//! thread that delivered `open` (it only starts a shell, never waits).
//!
//! `$VISUAL`, else `$EDITOR` (a command, arguments allowed: `code -w`,
//! `gedit`), else the desktop's default application for the file
//! (`xdg-open` on Linux, `open` on macOS, `start` on Windows). Pd has no
//! terminal, so a terminal editor needs wrapping (`VISUAL="xterm -e vim"`).
//! The editor is started through a shell that returns at once, so nothing
//! waits for it and no child is left unreaped. Since that shell succeeds
//! whatever the editor does, the command's first word is looked up on
//! `PATH` first (on Windows with `PATHEXT`'s extensions): a missing editor
//! is an error naming the variable it came from.

use std::path::Path;
use std::process::Command;

pub(crate) fn open(file: &Path) -> Result<(), String> {
    let chosen = ["VISUAL", "EDITOR"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|e| !e.trim().is_empty()).map(|e| (*v, e)));
    check_command(chosen.as_ref().map(|(v, e)| (*v, e.as_str())))?;
    let editor = chosen.map(|(_, e)| e);
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

/// Says which command is missing, if the editor's (`$VISUAL`, `$EDITOR`,
/// else the desktop's opener) is not an executable file on `PATH` or at the
/// path given. On Windows an executable is a file, with one of `PATHEXT`'s
/// extensions when the name has none, and `start` (a builtin of cmd, which
/// opens the file with its default application) needs no check.
fn check_command(chosen: Option<(&str, &str)>) -> Result<(), String> {
    let opener = if cfg!(target_os = "macos") { "open" } else { "xdg-open" };
    if cfg!(windows) && chosen.is_none() {
        return Ok(());
    }
    let (from, command) = chosen.unwrap_or(("the default opener: neither VISUAL nor EDITOR is set", opener));
    let word = command.split_whitespace().next().unwrap_or(command);
    let is_path = word.contains('/') || (cfg!(windows) && word.contains('\\'));
    let found = if is_path {
        executable(Path::new(word))
    } else {
        std::env::var_os("PATH").is_some_and(|path| std::env::split_paths(&path).any(|dir| executable(&dir.join(word))))
    };
    if found {
        return Ok(());
    }
    let from = if chosen.is_some() { format!("${from}") } else { from.to_owned() };
    let missing = if is_path { "is not an executable file" } else { "was not found on PATH" };
    Err(format!(
        "the editor '{word}' ({from}) {missing}: set VISUAL or EDITOR to an editor's command, \
         e.g. VISUAL=gedit or VISUAL=\"xterm -e vim\""
    ))
}

/// An executable file at `p`.
#[cfg(not(windows))]
fn executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// A file at `p`, or at `p` with one of `PATHEXT`'s extensions (`.EXE`...)
/// if its name has none, as cmd finds a command.
#[cfg(windows)]
fn executable(p: &Path) -> bool {
    let file = |p: &Path| p.metadata().is_ok_and(|m| m.is_file());
    if p.extension().is_some() {
        return file(p);
    }
    let extensions = std::env::var("PATHEXT").unwrap_or_else(|_| ".COM;.EXE;.BAT;.CMD".to_owned());
    extensions.split(';').filter(|e| !e.is_empty()).any(|e| file(&p.with_extension(e.trim_start_matches('.'))))
}
