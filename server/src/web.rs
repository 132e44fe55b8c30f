//! The web client, embedded in the binary and served beside `/ws`.
//!
//! `client-web/dist/` (built from `client-web/src/` and committed, so `cargo`
//! alone builds the server) is compiled in with `include_bytes!`: nothing is
//! read from disk or fetched from the internet at run time. Every page route
//! (`/`, `/join/{code}`, `/host`, `/projector/{code}`) serves the same page,
//! which routes itself by its path; `/assets/…` serves the script and the
//! styles, gzipped when the browser accepts it.
//!
//! Every response carries a Content-Security-Policy that allows only this
//! server's own origin (scripts, styles, images and the WebSocket), and the
//! usual hardening headers. [`same_origin`] lets the server's own pages open
//! a WebSocket even when `--allow-origin` lists other sites.

use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::hash::{Hash, Hasher};
use std::sync::OnceLock;

/// One embedded file: its bytes, its gzip copy, its type.
struct Asset {
    body: &'static [u8],
    gzip: &'static [u8],
    mime: &'static str,
}

macro_rules! asset {
    ($path:literal, $mime:literal) => {
        Asset {
            body: include_bytes!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../client-web/dist/",
                $path
            )),
            gzip: include_bytes!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../client-web/dist/",
                $path,
                ".gz"
            )),
            mime: $mime,
        }
    };
}

static INDEX: Asset = asset!("index.html", "text/html; charset=utf-8");
static APP_JS: Asset = asset!("assets/app.js", "text/javascript; charset=utf-8");
static APP_CSS: Asset = asset!("assets/app.css", "text/css; charset=utf-8");

/// The routes of the web client, to merge into the server's router.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(page))
        .route("/host", get(page))
        .route("/join/{code}", get(page_with_code))
        .route("/projector/{code}", get(page_with_code))
        .route(
            "/assets/app.js",
            get(|h: HeaderMap| async move { serve(&APP_JS, &h) }),
        )
        .route(
            "/assets/app.css",
            get(|h: HeaderMap| async move { serve(&APP_CSS, &h) }),
        )
}

async fn page(headers: HeaderMap) -> Response {
    serve(&INDEX, &headers)
}

/// A page whose path names a game. The code is the page's business (it may
/// be mistyped: the page says so in the server's words), but nothing other
/// than a plausible code is echoed into a page's address.
async fn page_with_code(Path(code): Path<String>, headers: HeaderMap) -> Response {
    if code.is_empty() || code.len() > 16 || !code.chars().all(|c| c.is_ascii_alphanumeric()) {
        return (StatusCode::NOT_FOUND, "no such page\n").into_response();
    }
    serve(&INDEX, &headers)
}

/// An ETag for an asset: a hash of its bytes (they change only with the
/// binary), so browsers revalidate cheaply instead of downloading again.
fn etag(asset: &'static Asset) -> &'static str {
    static TAGS: OnceLock<[String; 3]> = OnceLock::new();
    let tags = TAGS.get_or_init(|| {
        [&INDEX, &APP_JS, &APP_CSS].map(|a| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            a.body.hash(&mut h);
            format!("\"{:016x}\"", h.finish())
        })
    });
    let i = if std::ptr::eq(asset, &INDEX) {
        0
    } else if std::ptr::eq(asset, &APP_JS) {
        1
    } else {
        2
    };
    &tags[i]
}

fn serve(asset: &'static Asset, req: &HeaderMap) -> Response {
    let tag = etag(asset);
    let mut headers = security_headers(req);
    headers.insert(header::ETAG, HeaderValue::from_static(tag));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    if req
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag))
    {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.mime));
    let gzip = req
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|e| e.trim().starts_with("gzip")));
    if gzip {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        (headers, asset.gzip).into_response()
    } else {
        (headers, asset.body).into_response()
    }
}

/// The Content-Security-Policy and hardening headers of every page.
///
/// `'self'` covers scripts, styles and images. For the WebSocket, `'self'`
/// is enough in current Chromium and Firefox, but older Safari does not map
/// it to `ws:`; the page's own `ws://HOST` and `wss://HOST` are named too,
/// HOST being the `Host` header the browser sent (when it looks like one).
fn security_headers(req: &HeaderMap) -> HeaderMap {
    let host = req
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| plausible_host(h));
    let connect = match host {
        Some(h) => format!("'self' ws://{h} wss://{h}"),
        None => "'self'".to_string(),
    };
    let csp = format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
         font-src 'self'; connect-src {connect}; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'"
    );
    let mut h = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    h
}

/// `host`, `host:port`, `[v6]:port`: nothing that could end a CSP directive.
fn plausible_host(h: &str) -> bool {
    !h.is_empty()
        && h.len() <= 255
        && h.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
}

/// Whether a WebSocket upgrade comes from a page this server served: its
/// `Origin` is `http://HOST` or `https://HOST` for the `Host` it was sent to.
/// Such a page may always connect, whatever `--allow-origin` says.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let (Some(origin), Some(host)) = (
        headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        headers.get(header::HOST).and_then(|v| v.to_str().ok()),
    ) else {
        return false;
    };
    let origin = origin.trim_end_matches('/');
    origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .is_some_and(|o| o.eq_ignore_ascii_case(host))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn own_pages_are_same_origin_and_others_are_not() {
        assert!(same_origin(&headers(&[
            ("origin", "http://192.168.1.20:8080"),
            ("host", "192.168.1.20:8080")
        ])));
        assert!(same_origin(&headers(&[
            ("origin", "https://class.example"),
            ("host", "class.example")
        ])));
        assert!(!same_origin(&headers(&[
            ("origin", "http://evil.example"),
            ("host", "192.168.1.20:8080")
        ])));
        assert!(!same_origin(&headers(&[
            ("origin", "http://192.168.1.20:8081"),
            ("host", "192.168.1.20:8080")
        ])));
        assert!(!same_origin(&headers(&[("host", "192.168.1.20:8080")])));
        assert!(!same_origin(&headers(&[("origin", "null"), ("host", "x")])));
    }

    #[test]
    fn a_host_header_cannot_widen_the_policy() {
        let h = security_headers(&headers(&[("host", "a.example; script-src *")]));
        let csp = h[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(csp.contains("connect-src 'self';"), "{csp}");
        assert!(!csp.contains('*'), "{csp}");
    }
}
