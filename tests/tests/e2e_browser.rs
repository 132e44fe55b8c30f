//! The web client (`client-web/`), served by the real server and driven in a
//! real browser.
//!
//! - `pages_are_served_from_the_binary_with_a_strict_policy`: every page
//!   route serves the embedded page with a Content-Security-Policy allowing
//!   only the server's own origin; the whole page weighs under 200 KB
//!   compressed; a malformed code in a page path is a 404.
//! - `own_pages_connect_even_with_an_origin_allowlist`: with
//!   `--allow-origin`, the server's own pages may still open a WebSocket;
//!   other sites may not.
//! - `web_client_is_typed_linted_and_built`: the TypeScript types are those
//!   derived from `protocol/schema/protocol-v1.schema.json`, `tsc --noEmit`
//!   passes, and the committed `client-web/dist/` is what the sources build.
//! - `a_class_plays_in_the_browser`: `client-web/tests/e2e.mjs` plays a whole
//!   game in headless Chromium (see that file); screenshots of every screen
//!   go to `target/browser-screenshots/`.
//!
//! The last two need Node's packages (`npm ci` in `client-web/`) and the
//! browser (Debian's `chromium`). Without them they say so and skip, unless
//! `DUALPOWER_REQUIRE_BROWSER=1` (set by `.ci/run`), when they fail.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use tests::TestServer;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("repository root")
        .to_path_buf()
}

fn web() -> PathBuf {
    repo().join("client-web")
}

/// Whether the browser tooling is here; if not, skip (or fail in CI).
fn tooling(what: &str, present: bool) -> bool {
    if present {
        return true;
    }
    let required = std::env::var("DUALPOWER_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
    assert!(
        !required,
        "DUALPOWER_REQUIRE_BROWSER=1 but {what} is missing (run .ci/run, or `npm ci` in client-web/ and `apt-get install chromium`)"
    );
    eprintln!("SKIPPED: {what} is missing; run `npm ci` in client-web/ and install chromium to run this test");
    false
}

fn node_modules() -> bool {
    tooling(
        "client-web/node_modules",
        web().join("node_modules/.bin/tsc").exists(),
    )
}

fn chromium() -> Option<PathBuf> {
    let found = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists());
    tooling("chromium (/usr/bin/chromium)", found.is_some()).then(|| found.unwrap())
}

/// A plain HTTP/1.1 GET: status, headers (lower-cased names), body.
fn get(addr: &str, path: &str, extra: &[(&str, &str)]) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut s = TcpStream::connect(addr).expect("connect");
    let mut req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in extra {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).expect("send");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of headers");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let body = raw[split + 4..].to_vec();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .expect("status");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    (status, headers, body)
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[test]
fn pages_are_served_from_the_binary_with_a_strict_policy() {
    let server = TestServer::start();
    let gz = [("Accept-Encoding", "gzip, deflate, br")];
    let mut weight = 0;
    for path in ["/", "/join/K7QX3", "/host", "/projector/K7QX3"] {
        let (status, headers, body) = get(&server.addr, path, &gz);
        assert_eq!(status, 200, "{path}");
        assert_eq!(
            header(&headers, "content-type"),
            Some("text/html; charset=utf-8")
        );
        let csp = header(&headers, "content-security-policy").expect("a CSP on every page");
        for directive in [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "frame-ancestors 'none'",
        ] {
            assert!(csp.contains(directive), "{path}: {csp}");
        }
        let connect = csp
            .split(';')
            .find(|d| d.trim().starts_with("connect-src"))
            .expect("connect-src");
        for source in connect.split_whitespace().skip(1) {
            assert!(
                source == "'self'" || source.ends_with(&format!("//{}", server.addr)),
                "connect-src allows only this server: {connect}"
            );
        }
        // Only this server: no other origin, scheme source, inline code or eval.
        for source in csp.split(';').flat_map(|d| d.split_whitespace().skip(1)) {
            assert!(
                ["'self'", "'none'"].contains(&source)
                    || source.ends_with(&format!("//{}", server.addr)),
                "{path}: the policy allows {source}: {csp}"
            );
        }
        assert_eq!(header(&headers, "x-content-type-options"), Some("nosniff"));
        assert_eq!(header(&headers, "content-encoding"), Some("gzip"));
        if path == "/" {
            weight += body.len();
        }
    }
    // The page names only its own assets: nothing from another origin.
    let (_, _, html) = get(&server.addr, "/", &[]);
    let html = String::from_utf8(html).expect("utf-8");
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "{html}"
    );
    for asset in ["/assets/app.js", "/assets/app.css"] {
        assert!(html.contains(asset), "{asset} in {html}");
        let (status, headers, body) = get(&server.addr, asset, &gz);
        assert_eq!(status, 200, "{asset}");
        assert!(header(&headers, "content-security-policy").is_some());
        weight += body.len();
        // Revalidation is cheap: the ETag answers 304.
        let tag = header(&headers, "etag").expect("etag").to_string();
        let (status, _, body) = get(&server.addr, asset, &[("If-None-Match", &tag)]);
        assert_eq!((status, body.len()), (304, 0), "{asset}");
        // And a browser that does not take gzip gets the plain file.
        let (_, plain_headers, plain) = get(&server.addr, asset, &[]);
        assert_eq!(header(&plain_headers, "content-encoding"), None);
        assert!(plain.len() > body.len());
    }
    eprintln!("page weight: {weight} bytes compressed");
    assert!(
        weight < 200 * 1024,
        "the page weighs {weight} bytes compressed, over 200 KB"
    );
    // A malformed code in a page path is not echoed back as a page.
    let (status, _, _) = get(&server.addr, "/join/%3Cscript%3E", &[]);
    assert_eq!(status, 404);
    // The WebSocket and health routes are still there beside the pages.
    let (status, _, body) = get(&server.addr, "/health", &[]);
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&body).contains("\"status\":\"ok\""));
}

#[tokio::test]
async fn own_pages_connect_even_with_an_origin_allowlist() {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let server = TestServer::start_with(&["--allow-origin", "https://school.example"]);
    let upgrade = |origin: &str| {
        let mut req = server.ws_url().into_client_request().expect("request");
        req.headers_mut()
            .insert("Origin", origin.parse().expect("header"));
        tokio_tungstenite::connect_async(req)
    };
    // The server's own page (the web client), same host and port.
    let own = format!("http://{}", server.addr);
    assert!(upgrade(&own).await.is_ok(), "the server's own page");
    // A listed origin.
    assert!(upgrade("https://school.example").await.is_ok());
    // Another site, or another port of this host: refused with 403.
    for other in [
        "http://evil.example".to_string(),
        format!(
            "http://127.0.0.1:{}",
            server
                .addr
                .rsplit(':')
                .next()
                .unwrap()
                .parse::<u16>()
                .unwrap()
                ^ 1
        ),
    ] {
        match upgrade(&other).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
                assert_eq!(resp.status(), 403, "{other}")
            }
            other_result => panic!("{other} was not refused: {other_result:?}"),
        }
    }
}

fn node(args: &[&str]) -> std::process::Output {
    Command::new("node")
        .args(args)
        .current_dir(web())
        .output()
        .expect("run node")
}

/// The two Node-heavy tests (the build, and the class in a browser) run
/// one at a time: on two cores a concurrent `tsc` and bundle starve the
/// browser the class test is timing.
static NODE_HEAVY: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn web_client_is_typed_linted_and_built() {
    let _one_at_a_time = NODE_HEAVY.lock().unwrap_or_else(|e| e.into_inner());
    if !node_modules() {
        return;
    }
    for (what, args) in [
        (
            "the protocol types are derived from the schema",
            &["scripts/gen-types.mjs", "--check"][..],
        ),
        (
            "tsc --noEmit passes",
            &["node_modules/typescript/bin/tsc", "--noEmit", "-p", "."][..],
        ),
        (
            "the committed dist/ is what the sources build",
            &["scripts/build.mjs", "--check"][..],
        ),
    ] {
        let out = node(args);
        assert!(
            out.status.success(),
            "{what}: failed\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn a_class_plays_in_the_browser() {
    let _one_at_a_time = NODE_HEAVY.lock().unwrap_or_else(|e| e.into_inner());
    if !node_modules() {
        return;
    }
    let Some(chromium) = chromium() else {
        return;
    };
    // The script starts (and restarts) the server itself, on a fixed port,
    // so the pages' address survives the restart.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let dir = std::env::temp_dir().join(format!("dualpower-e2e-browser-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let db = dir.join("games.db");
    let shots = repo().join("target/browser-screenshots");
    let bin = tests::binary("dualpower-server");
    let status = Command::new("node")
        .arg("tests/e2e.mjs")
        .args(["--server-bin", bin.to_str().expect("path")])
        .args(["--db", db.to_str().expect("path")])
        .args(["--port", &port.to_string()])
        .args(["--out", shots.to_str().expect("path")])
        .args(["--chromium", chromium.to_str().expect("path")])
        .current_dir(web())
        .status()
        .expect("run node tests/e2e.mjs");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        status.success(),
        "the browser test failed (screenshots in {})",
        shots.display()
    );
}
