//! `watch 1`: reload an object when its script, or a module it uses from the
//! patch's or the library's folders, is saved.
//!
//! File events come from the `notify` crate (inotify, FSEvents, ...), not
//! from polling. The folders are watched rather than the files, because many
//! editors save by writing a new file and renaming it over the old one. A
//! burst of events (an editor's save) is debounced: a file counts as changed
//! once it has been quiet for [`QUIET`]. The reload itself never runs on the
//! watcher's thread: it becomes a [`Delivery::Reload`] for the object, carried
//! out on a host thread of the object's context (or queued to the object's
//! worker when detached).
//!
//! File events reach the debouncer through a bounded channel ([`EVENTS`]
//! paths). When it is full (a burst of thousands of events, a folder
//! unpacked beside a script), the event is not lost silently and the OS
//! watcher's thread never waits: a `rescan` flag is set instead, and the
//! debouncer then counts every watched file as changed, so a save in the
//! burst still reloads (and so may a file that did not change, once).
//!
//! # Threading
//! [`watch`], [`unwatch`]: any thread, briefly locking the watch table.
//! One thread, `pyrus-watch`, debounces; [`shut_down`] ends it (the exit
//! joins it by a deadline).

use crate::context::{Context, WeakContext};
use crate::detach::marshal::{Delivery, ObjectId};
use crate::sync::lock;
use crossbeam_channel::{bounded, Receiver, RecvTimeoutError, Sender, TrySendError};
use notify::{RecursiveMode, Watcher};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long a file must stay quiet after an event before it counts as saved.
pub const QUIET: Duration = Duration::from_millis(100);

/// File events waiting for the debouncer before a full channel means
/// "rescan" (see the module docs).
pub const EVENTS: usize = 1024;

/// Which objects watch which file, and as which module.
#[derive(Default)]
struct Table {
    /// file -> (object, its context, module the file is)
    files: HashMap<PathBuf, Vec<(ObjectId, WeakContext, String)>>,
    /// folders the OS watcher follows
    folders: HashSet<PathBuf>,
}

struct State {
    table: Arc<Mutex<Table>>,
    watcher: notify::RecommendedWatcher,
    thread: JoinHandle<()>,
}

static STATE: Mutex<Option<State>> = Mutex::new(None);

/// Watches `files` (each with the module it holds) for object `id` of `ctx`.
pub(crate) fn watch(ctx: &Context, id: ObjectId, files: Vec<(PathBuf, String)>) -> Result<(), String> {
    let mut state = lock(&STATE);
    if state.is_none() {
        *state = Some(start()?);
    }
    let state = state.as_mut().expect("just made");
    let mut table = lock(&state.table);
    for (file, module) in files {
        let Some(folder) = file.parent().map(Path::to_path_buf) else { continue };
        if table.folders.insert(folder.clone()) {
            state.watcher.watch(&folder, RecursiveMode::NonRecursive).map_err(|e| e.to_string())?;
        }
        let entry = table.files.entry(file).or_default();
        if !entry.iter().any(|(o, _, _)| *o == id) {
            entry.push((id, ctx.downgrade(), module));
        }
    }
    Ok(())
}

/// Stops watching anything for object `id`.
pub(crate) fn unwatch(id: ObjectId) {
    if let Some(state) = lock(&STATE).as_ref() {
        let mut table = lock(&state.table);
        for watchers in table.files.values_mut() {
            watchers.retain(|(o, _, _)| *o != id);
        }
        table.files.retain(|_, w| !w.is_empty());
    }
}

fn start() -> Result<State, String> {
    let (tx, rx) = bounded::<PathBuf>(EVENTS);
    let rescan = Arc::new(AtomicBool::new(false));
    let full = rescan.clone();
    let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(event) = event {
            if event.kind.is_modify() || event.kind.is_create() {
                for path in event.paths {
                    forward(&tx, &full, path);
                }
            }
        }
    })
    .map_err(|e| e.to_string())?;
    let table = Arc::new(Mutex::new(Table::default()));
    let for_thread = table.clone();
    let thread = crate::context::spawn("pyrus-watch".into(), move || debounce(rx, &rescan, for_thread))
        .map_err(|e| e.to_string())?;
    Ok(State { table, watcher, thread })
}

/// Hands `path` to the debouncer, or sets `rescan` if its channel is full.
/// Never waits (it runs on the OS watcher's thread).
fn forward(events: &Sender<PathBuf>, rescan: &AtomicBool, path: PathBuf) {
    if let Err(TrySendError::Full(_)) = events.try_send(path) {
        rescan.store(true, Ordering::Release);
    }
}

/// After a full channel (`rescan` set): every watched file counts as changed now.
fn take_rescan(rescan: &AtomicBool, table: &Mutex<Table>, changed: &mut HashMap<PathBuf, Instant>) {
    if rescan.swap(false, Ordering::AcqRel) {
        let now = Instant::now();
        changed.extend(lock(table).files.keys().map(|f| (f.clone(), now)));
    }
}

/// Collects changed paths until each has been quiet for [`QUIET`], then asks
/// each watching object to reload. Ends when the OS watcher is dropped.
fn debounce(events: Receiver<PathBuf>, rescan: &AtomicBool, table: Arc<Mutex<Table>>) {
    let mut changed: HashMap<PathBuf, Instant> = HashMap::new();
    loop {
        let wait =
            changed.values().map(|t| QUIET.saturating_sub(t.elapsed())).min().unwrap_or(Duration::from_secs(3600));
        match events.recv_timeout(wait) {
            Ok(path) => {
                changed.insert(path, Instant::now());
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        take_rescan(rescan, &table, &mut changed);
        let quiet: Vec<PathBuf> =
            changed.iter().filter(|(_, t)| t.elapsed() >= QUIET).map(|(p, _)| p.clone()).collect();
        for path in quiet {
            changed.remove(&path);
            let watchers = lock(&table).files.get(&path).cloned().unwrap_or_default();
            for (id, ctx, module) in watchers {
                if let Some(ctx) = ctx.upgrade() {
                    ctx.push_waiting(id, Delivery::Reload(module), |wait| wait());
                }
            }
        }
    }
}

/// Stops watching (process exit); the debounce thread ends, and is
/// returned for the caller to join by its deadline.
pub(crate) fn shut_down() -> Option<JoinHandle<()>> {
    let state = lock(&STATE).take()?;
    drop(state.watcher); // closes the event channel: the thread ends
    Some(state.thread)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Events beyond a full channel (the debouncer busy: nobody receives
    /// here) set `rescan`, which makes every watched file count as changed:
    /// the save among them is not lost.
    #[test]
    fn a_full_event_channel_rescans_every_watched_file() {
        let (tx, rx) = bounded(2);
        let rescan = AtomicBool::new(false);
        for name in ["a.py", "b.py", "saved.py"] {
            forward(&tx, &rescan, PathBuf::from(name));
        }
        assert_eq!(rx.len(), 2, "the channel is bounded");
        let table = Mutex::new(Table::default());
        for name in ["a.py", "saved.py", "other.py"] {
            lock(&table).files.insert(PathBuf::from(name), vec![(1, WeakContext::default(), name.into())]);
        }
        let mut changed = HashMap::new();
        take_rescan(&rescan, &table, &mut changed);
        let mut files: Vec<_> = changed.keys().map(|p| p.to_str().unwrap()).collect();
        files.sort_unstable();
        assert_eq!(files, ["a.py", "other.py", "saved.py"]);
        changed.clear();
        take_rescan(&rescan, &table, &mut changed);
        assert!(changed.is_empty(), "one rescan per overflow");
    }
}
