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
                eprintln!(
                    "SKIPPED {test}: PostgreSQL is not reachable at {base} ({e}); \
                     set DUALPOWER_TEST_POSTGRES to run the PostgreSQL tests"
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
