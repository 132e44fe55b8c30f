//! The bundled CLI (`dualpower`) as a child process in script mode, for
//! the end-to-end tests that drive it as users do.

use crate::binary;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A CLI process in script mode with its output collected line by line.
pub struct Cli {
    child: Child,
    lines: mpsc::Receiver<String>,
    pub seen: Vec<String>,
    name: String,
}

pub fn home(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dualpower-cli-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

impl Cli {
    /// Run `dualpower ARGS` with `script` on stdin (kept open if `script`
    /// is `None` so the test can write later).
    pub fn spawn(name: &str, args: &[&str], script: &str, dir: &Path) -> Cli {
        let mut child = Command::new(binary("dualpower"))
            .args(args)
            .current_dir(dir)
            .env("DUALPOWER_HOME", dir)
            .env("NO_COLOR", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start dualpower");
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(script.as_bytes()).unwrap();
        drop(stdin);
        let (tx, rx) = mpsc::channel();
        for out in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(out).lines() {
                    let Ok(line) = line else { break };
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        Cli {
            child,
            lines: rx,
            seen: Vec::new(),
            name: name.into(),
        }
    }

    /// Wait for a line containing `text`.
    pub fn expect(&mut self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        if let Some(l) = self.seen.iter().find(|l| l.contains(text)) {
            return l.clone();
        }
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(text) {
                        return line;
                    }
                }
                Err(_) => break,
            }
        }
        panic!(
            "{}: no line with {text:?} in:\n{}",
            self.name,
            self.seen.join("\n")
        );
    }

    /// Wait for the exit; returns the code and all output.
    pub fn finish(mut self) -> (i32, String) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("{} did not finish:\n{}", self.name, self.seen.join("\n"));
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        // The readers end when the pipes close.
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(2)) {
            self.seen.push(line);
        }
        (status.code().unwrap_or(-1), self.seen.join("\n"))
    }
}

impl Drop for Cli {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}
