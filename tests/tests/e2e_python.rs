//! A client in another language: `tests/python/play_round.py`, written
//! from PROTOCOL.md alone with the `websockets` package, plays a round
//! against the real server. The test installs `websockets` with pip when
//! it is missing.

use std::path::PathBuf;
use std::process::Command;
use tests::TestServer;

fn python() -> String {
    std::env::var("PYTHON").unwrap_or_else(|_| "python3".into())
}

fn has_websockets() -> bool {
    Command::new(python())
        .args(["-c", "import websockets"])
        .status()
        .is_ok_and(|s| s.success())
}

/// Make sure `websockets` can be imported, installing it if needed.
fn ensure_websockets() {
    if Command::new(python()).arg("--version").status().is_err() {
        panic!(
            "python3 is needed for the third-party client test (set PYTHON to its path); \
             install it with your system's package manager"
        );
    }
    if has_websockets() {
        return;
    }
    for extra in [&[][..], &["--break-system-packages"][..]] {
        let status = Command::new(python())
            .args(["-m", "pip", "install", "--user", "--quiet", "websockets"])
            .args(extra)
            .status();
        if status.is_ok_and(|s| s.success()) && has_websockets() {
            return;
        }
    }
    panic!("could not install the Python package `websockets` (python3 -m pip install --user websockets)");
}

#[test]
fn a_python_client_written_from_the_docs_plays_a_round() {
    ensure_websockets();
    let server = TestServer::start_with(&[
        "--db",
        ":memory:",
        "--rate-per-sec",
        "10",
        "--rate-burst",
        "30",
    ]);
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python/play_round.py");
    let out = Command::new(python())
        .arg(&script)
        .arg(server.ws_url())
        .output()
        .expect("run python3");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the Python client failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("one round played"), "{stdout}");
}
