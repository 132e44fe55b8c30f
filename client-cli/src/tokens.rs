//! Remembered tokens, so a student who closes the window (or whose laptop
//! restarts) types the same `join` again and is back in their seat.
//!
//! Kept in `$DUALPOWER_HOME/tokens.json` (default `~/.dualpower`), readable
//! by the user only. A token is a key to a seat in one game; nothing else
//! is stored.

use std::collections::BTreeMap;
use std::path::PathBuf;

pub struct Tokens {
    path: Option<PathBuf>,
    map: BTreeMap<String, String>,
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

impl Tokens {
    pub fn load() -> Tokens {
        let path = home().map(|h| h.join("tokens.json"));
        let map = path
            .as_ref()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default();
        Tokens { path, map }
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.map.get(key).map(String::as_str)
    }

    pub fn set(&mut self, key: String, token: String) {
        self.map.insert(key, token);
        self.save();
    }

    pub fn forget(&mut self, key: &str) {
        if self.map.remove(key).is_some() {
            self.save();
        }
    }

    fn save(&self) {
        let Some(path) = &self.path else { return };
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let Ok(text) = serde_json::to_string_pretty(&self.map) else {
            return;
        };
        let tmp = path.with_extension("tmp");
        if std::fs::write(&tmp, text).is_ok() {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let _ = std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600));
            }
            let _ = std::fs::rename(&tmp, path);
        }
    }
}
