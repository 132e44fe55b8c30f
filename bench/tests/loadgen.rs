//! The load tool end to end, at a tiny scale: it starts the real server and
//! the bare baseline, plays, and reports the same figures for both.

use std::path::Path;
use std::process::Command;

#[test]
fn loadgen_compare_runs_both_servers_and_reports_every_figure() {
    // The real server's binary, built like the e2e tests build it.
    let server = tests::binary("dualpower-server");
    let bare = Path::new(env!("CARGO_BIN_EXE_bare-server"));
    assert_eq!(
        server.parent(),
        bare.parent(),
        "both binaries in one target directory"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_loadgen"))
        .args([
            "compare",
            "--games",
            "2",
            "--players",
            "6",
            "--rate",
            "30",
            "--duration",
            "2",
            "--warmup",
            "1",
            "--phase-secs",
            "1",
            "--bin-dir",
        ])
        .arg(bare.parent().unwrap())
        .output()
        .expect("run loadgen");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let row = |label: &str| -> Vec<f64> {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(label))
            .unwrap_or_else(|| panic!("no {label:?} row in:\n{stdout}"));
        line[label.len()..]
            .split_whitespace()
            .filter_map(|w| w.parse().ok())
            .collect()
    };
    // Dual Power: 2 hosts + 12 players; bare: 12.
    assert_eq!(&row("connections")[..2], &[14.0, 12.0]);
    assert_eq!(&row("errors")[..2], &[0.0, 0.0]);
    let chat = row("chat sent /s");
    assert!(chat[0] > 10.0 && chat[1] > 10.0, "{chat:?}");
    let delivered = row("messages in /s (server → clients)");
    // Every chat line reaches the other members of its game.
    assert!(
        delivered[0] > chat[0] * 4.0 && delivered[1] > chat[1] * 4.0,
        "{delivered:?}"
    );
    let p99 = row("fan-out p99 ms");
    assert!(p99[0] > 0.0 && p99[1] > 0.0, "{p99:?}");
    // CPU and memory come from /proc; at this scale they may round to 0,
    // but the rows are there for both servers.
    assert!(row("server CPU s").len() >= 2);
    assert!(row("server peak RSS MiB").len() >= 2);
}
