//! PostgreSQL for the tests: a fresh database per test, dropped at the end.
//!
//! The tests run against `DUALPOWER_TEST_POSTGRES` (default
//! `postgres://postgres@127.0.0.1:5432/test`). When it cannot be reached
//! they print `SKIPPED` and pass, unless `DUALPOWER_REQUIRE_POSTGRES=1`
//! (CI), where a missing database fails them.

use tokio_postgres::NoTls;

/// Where the tests' PostgreSQL server is.
pub fn base_url() -> String {
    std::env::var("DUALPOWER_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// Whether a missing database must fail the tests.
pub fn required() -> bool {
    std::env::var("DUALPOWER_REQUIRE_POSTGRES").is_ok_and(|v| v == "1")
}

/// A database of its own for one test.
pub struct TestDb {
    pub name: String,
    /// `postgres://…/NAME`, for `--db`.
    pub url: String,
}

impl TestDb {
    /// Create one; `None` (with a line saying the test was skipped) when
    /// PostgreSQL cannot be reached and it is not required.
    pub async fn create(test: &str) -> Option<TestDb> {
        let base = base_url();
        let (client, conn) = match tokio_postgres::connect(&base, NoTls).await {
            Ok(c) => c,
            Err(e) => {
                assert!(
                    !required(),
                    "DUALPOWER_REQUIRE_POSTGRES=1 but PostgreSQL is not reachable at {base}: {e}"
                );
                // Straight to stderr: a test's eprintln! is captured, and a
                // skip must be seen.
                let _ = std::io::Write::write_fmt(
                    &mut std::io::stderr(),
                    format_args!(
                        "SKIPPED {test}: PostgreSQL is not reachable at {base} ({e}); \
                         set DUALPOWER_TEST_POSTGRES to run the PostgreSQL tests\n"
                    ),
                );
                return None;
            }
        };
        tokio::spawn(conn);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let name = format!("dp_e2e_{}_{}", std::process::id(), nanos);
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create a test database");
        let url = url_with_db(&base, &name);
        Some(TestDb { name, url })
    }

    /// A plain connection, to look at what is stored.
    pub async fn sql(&self) -> tokio_postgres::Client {
        let (client, conn) = tokio_postgres::connect(&self.url, NoTls)
            .await
            .expect("connect to the test database");
        tokio::spawn(conn);
        client
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let base = base_url();
        let name = self.name.clone();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            rt.block_on(async {
                if let Ok((client, conn)) = tokio_postgres::connect(&base, NoTls).await {
                    tokio::spawn(conn);
                    let _ = client
                        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await;
                }
            });
        })
        .join();
    }
}

/// `base` with its database name replaced by `db`.
pub fn url_with_db(base: &str, db: &str) -> String {
    let (head, query) = match base.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (base, None),
    };
    let scheme_end = head.find("://").map_or(0, |i| i + 3);
    let path_start = head[scheme_end..]
        .find('/')
        .map_or(head.len(), |i| scheme_end + i);
    let mut url = format!("{}/{db}", &head[..path_start]);
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    url
}

/// `DUALPOWER_TEST_STORE=postgres`: the tests that start servers with
/// `--db :memory:` or a file run them on PostgreSQL instead (a database
/// per file, the same port again for the same file so a restarted server
/// takes its games back at once), to run the durability, resume and
/// authorization tests against the PostgreSQL store.
pub fn test_store_is_postgres() -> bool {
    std::env::var("DUALPOWER_TEST_STORE").is_ok_and(|v| v == "postgres")
}

fn ports() -> &'static std::sync::Mutex<std::collections::HashMap<String, u16>> {
    static PORTS: std::sync::OnceLock<std::sync::Mutex<std::collections::HashMap<String, u16>>> =
        std::sync::OnceLock::new();
    PORTS.get_or_init(Default::default)
}

/// The port a server on this `--db` had, if one ran in this test process.
pub fn remembered_port(key: &str) -> Option<u16> {
    ports().lock().expect("ports").get(key).copied()
}

pub fn remember_port(key: &str, port: u16) {
    ports().lock().expect("ports").insert(key.to_string(), port);
}

/// Run `f` on a connection to the base database, from a thread of its own
/// (callers may be inside a runtime).
fn admin<T: Send + 'static>(
    f: impl FnOnce(
            tokio_postgres::Client,
        ) -> std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send>>
        + Send
        + 'static,
) -> T {
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        rt.block_on(async move {
            let base = base_url();
            let (client, conn) = tokio_postgres::connect(&base, NoTls)
                .await
                .unwrap_or_else(|e| panic!("DUALPOWER_TEST_STORE=postgres but PostgreSQL is not reachable at {base}: {e}"));
            tokio::spawn(conn);
            f(client).await
        })
    })
    .join()
    .expect("the database thread")
}

/// The database standing in for `--db key`: `(url, name)`. A file's
/// database is created once per test process; `:memory:` gets a new one.
pub fn database_for(key: &str) -> (String, String) {
    use std::hash::{Hash, Hasher};
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    static CLEANED: std::sync::Once = std::sync::Once::new();
    CLEANED.call_once(|| {
        // Databases left by test processes that are gone.
        admin(|client| {
            Box::pin(async move {
                let rows = client
                    .query(
                        "SELECT datname FROM pg_database WHERE datname LIKE 'dp_t_%'",
                        &[],
                    )
                    .await
                    .unwrap_or_default();
                for r in rows {
                    let name: String = r.get(0);
                    let pid = name.split('_').nth(2).unwrap_or("");
                    if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
                        let _ = client
                            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                            .await;
                    }
                }
            })
        });
    });
    let pid = std::process::id();
    let name = if key == ":memory:" {
        format!(
            "dp_t_{pid}_m{}",
            N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        )
    } else {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        key.hash(&mut h);
        format!("dp_t_{pid}_f{:x}", h.finish())
    };
    let create = name.clone();
    admin(move |client| {
        Box::pin(async move {
            if let Err(e) = client
                .batch_execute(&format!("CREATE DATABASE {create}"))
                .await
            {
                assert!(
                    e.code() == Some(&tokio_postgres::error::SqlState::DUPLICATE_DATABASE),
                    "create {create}: {e}"
                );
            }
        })
    });
    (url_with_db(&base_url(), &name), name)
}

/// Drop a test database (a `:memory:` stand-in, when its server stops).
pub fn drop_database(name: &str) {
    let name = name.to_string();
    admin(move |client| {
        Box::pin(async move {
            let _ = client
                .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await;
        })
    });
}
