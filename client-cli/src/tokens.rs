//! Remembered seats, so a student who closes the window (or whose laptop
//! restarts) types the same `join` again and is back in their seat, with
//! everything said meanwhile.
//!
//! Kept in `$DUALPOWER_HOME/tokens.json` (default `~/.dualpower`), readable
//! by the user only: the directory is made 0700 and the file is written as
//! a new file created 0600 in the same directory, then renamed over the old
//! one (never a moment world-readable, never half written). For each seat:
//! its token (the key to the seat) and the last event `seq` the client
//! received, so taking the seat back replays exactly what was missed.
//!
//! Several clients may run on one computer (a teacher's host window and a
//! test student): each save reads the file again and changes only its own
//! seat, so one client never erases another's.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One remembered seat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "Stored")]
pub struct Seat {
    pub token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seq: Option<u64>,
}

/// Files written by earlier versions hold the token alone.
#[derive(Deserialize)]
#[serde(untagged)]
enum Stored {
    Token(String),
    Seat {
        token: String,
        #[serde(default)]
        last_seq: Option<u64>,
    },
}

impl From<Stored> for Seat {
    fn from(s: Stored) -> Seat {
        match s {
            Stored::Token(token) => Seat {
                token,
                last_seq: None,
            },
            Stored::Seat { token, last_seq } => Seat { token, last_seq },
        }
    }
}

pub struct Tokens {
    path: Option<PathBuf>,
    map: BTreeMap<String, Seat>,
}

fn home() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("DUALPOWER_HOME") {
        return Some(PathBuf::from(dir));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".dualpower"))
}

/// The key for one seat: server, code and name (or `host`).
pub fn key(server: &str, code: &str, who: &str) -> String {
    format!(
        "{server}|{}|{}",
        code.trim().to_ascii_uppercase(),
        who.trim().to_lowercase()
    )
}

fn read(path: &Path) -> BTreeMap<String, Seat> {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default()
}

impl Tokens {
    pub fn load() -> Tokens {
        Tokens::at(home().map(|h| h.join("tokens.json")))
    }

    fn at(path: Option<PathBuf>) -> Tokens {
        let map = path.as_deref().map(read).unwrap_or_default();
        Tokens { path, map }
    }

    pub fn get(&self, key: &str) -> Option<&Seat> {
        self.map.get(key)
    }

    /// The seat holding this token, if one was saved.
    pub fn find_token(&self, token: &str) -> Option<(&str, &Seat)> {
        self.map
            .iter()
            .find(|(_, s)| s.token == token)
            .map(|(k, s)| (k.as_str(), s))
    }

    /// Remember a seat (a new token, or a later `seq`) and save it.
    pub fn set(&mut self, key: String, seat: Seat) {
        if self.map.get(&key) == Some(&seat) {
            return;
        }
        self.map.insert(key.clone(), seat.clone());
        self.save(&key, Some(seat));
    }

    pub fn forget(&mut self, key: &str) {
        if self.map.remove(key).is_some() {
            self.save(key, None);
        }
    }

    /// Write `key`'s seat into the file as it is now on disk (another
    /// client may have saved its own seat since this one read it).
    fn save(&self, key: &str, seat: Option<Seat>) {
        let Some(path) = &self.path else { return };
        if let Err(e) = write_seat(path, key, seat) {
            // Not fatal: the student only loses the shortcut back.
            eprintln!(
                "Could not save your seat in {} ({e}); to come back later you will need `dualpower resume` with your token.",
                path.display()
            );
        }
    }
}

fn write_seat(path: &Path, key: &str, seat: Option<Seat>) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    if !dir.exists() {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir)?;
    }
    // One client at a time reads, changes and replaces the file (a host
    // and a student on one computer save at the same moment).
    let lock = open_private(&dir.join("tokens.lock"))?;
    lock.lock()?;
    let mut map = read(path);
    match seat {
        Some(seat) => map.insert(key.to_string(), seat),
        None => map.remove(key),
    };
    let text = serde_json::to_string_pretty(&map).map_err(std::io::Error::other)?;
    // A new file with a name of its own, created 0600 (tempfile's default on
    // Unix), then renamed over the old one.
    let mut tmp = tempfile::Builder::new()
        .prefix(".tokens")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(text.as_bytes())?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    lock.unlock()?;
    Ok(())
}

/// Open (or create, readable by the user only) a file for locking.
fn open_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).truncate(false).write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("dualpower-tokens-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    fn seat(token: &str, last_seq: Option<u64>) -> Seat {
        Seat {
            token: token.into(),
            last_seq,
        }
    }

    #[cfg(unix)]
    #[test]
    fn the_file_is_readable_by_its_owner_only_and_so_is_a_new_directory() {
        use std::os::unix::fs::PermissionsExt;
        let d = dir("mode");
        let path = d.join("home").join("tokens.json");
        let mut t = Tokens::at(Some(path.clone()));
        t.set("k".into(), seat("ABCDE.secret", Some(3)));
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
        // No temporary file is left beside it.
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        let names: Vec<_> = names.iter().map(|n| n.to_string_lossy()).collect();
        assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
        // A world-readable file from an older version is replaced by a
        // private one on the next save.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        t.set("k".into(), seat("ABCDE.secret", Some(4)));
        assert_eq!(mode(&path), 0o600);
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn two_clients_on_one_computer_keep_each_others_seats() {
        let d = dir("two");
        let path = d.join("tokens.json");
        let mut host = Tokens::at(Some(path.clone()));
        let mut student = Tokens::at(Some(path.clone()));
        host.set("host".into(), seat("H.1", None));
        student.set("ana".into(), seat("A.1", Some(5)));
        // The host saves again (a later seq) with its old copy in memory.
        host.set("host".into(), seat("H.1", Some(9)));
        let again = Tokens::at(Some(path));
        assert_eq!(again.get("ana"), Some(&seat("A.1", Some(5))));
        assert_eq!(again.get("host"), Some(&seat("H.1", Some(9))));
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn clients_saving_at_the_same_moment_lose_no_seat() {
        let d = dir("race");
        let path = d.join("tokens.json");
        let threads: Vec<_> = (0..8)
            .map(|i| {
                let path = path.clone();
                std::thread::spawn(move || {
                    let mut t = Tokens::at(Some(path));
                    for n in 0..10 {
                        t.set(format!("seat{i}"), seat(&format!("T.{i}"), Some(n)));
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let all = Tokens::at(Some(path));
        for i in 0..8 {
            assert_eq!(
                all.get(&format!("seat{i}")),
                Some(&seat(&format!("T.{i}"), Some(9))),
                "seat{i} was lost"
            );
        }
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn a_file_from_an_older_version_still_gives_the_seat_back() {
        let d = dir("old");
        std::fs::create_dir_all(&d).unwrap();
        let path = d.join("tokens.json");
        std::fs::write(&path, r#"{"ws://x/ws|ABCDE|ana": "ABCDE.s3cret"}"#).unwrap();
        let t = Tokens::at(Some(path));
        assert_eq!(
            t.get("ws://x/ws|ABCDE|ana"),
            Some(&seat("ABCDE.s3cret", None))
        );
        let _ = std::fs::remove_dir_all(&d);
    }
}
