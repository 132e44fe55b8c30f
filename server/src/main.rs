//! `dualpower-server`: run the game server.

use clap::Parser;
use engine::Scenario;
use server::pgstore::{PgOptions, PgStore};
use server::store::SqliteStore;
use server::Config;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Dual Power game server: hosts classroom games over WebSockets.
#[derive(Debug, Parser)]
#[command(
    version,
    after_help = "Examples:\n  dualpower-server                         # 127.0.0.1:8080, for this computer only\n  dualpower-server --bind 0.0.0.0:8080     # reachable from the classroom network\n  dualpower-server --bind 127.0.0.1:0      # any free port (printed on start)\n  dualpower-server --scenario my-class.toml\n  dualpower-server --db :memory:           # keep nothing on disk\n  dualpower-server --bind 0.0.0.0:8080 --advertise 10.0.0.5:8080 --db postgres://dualpower@db.school/dualpower\n                                           # one of several servers on one PostgreSQL database\n\nLogs go to stderr; RUST_LOG=debug shows more."
)]
struct Args {
    /// Address and port to listen on. Port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8080")]
    bind: SocketAddr,
    /// An extra scenario file (TOML) games may use; repeat for more. The
    /// built-in Petrograd 1917 scenario is always available.
    #[arg(long = "scenario", value_name = "FILE")]
    scenarios: Vec<PathBuf>,
    /// Where games are kept: a SQLite file (created if missing), `:memory:`
    /// to keep nothing, or a PostgreSQL database
    /// (`postgres://USER@HOST/DB`), which several servers may share.
    #[arg(long, env = "DATABASE_URL", default_value = "dualpower.db")]
    db: String,
    /// With PostgreSQL: the address (HOST:PORT) the other servers reach this
    /// one at. Defaults to the bound address (or, bound to every interface,
    /// this computer's network address).
    #[arg(long, value_name = "HOST:PORT")]
    advertise: Option<String>,
    /// With PostgreSQL: seconds a server holds a game without renewing its
    /// lease; when a server dies its games move within about this long.
    #[arg(long, default_value_t = 6)]
    lease_secs: u64,
    /// With PostgreSQL: connections to the database.
    #[arg(long, default_value_t = 16)]
    db_pool: usize,
    /// Days a finished game is kept for its debrief before it is deleted.
    #[arg(long, default_value_t = 30)]
    retention_days: u64,
    /// Longest chat message, in characters.
    #[arg(long, default_value_t = 500)]
    max_chat_chars: usize,
    /// Most games at once.
    #[arg(long, default_value_t = 1000)]
    max_games: usize,
    /// Most players in one game.
    #[arg(long, default_value_t = 60)]
    max_players_per_game: usize,
    /// Most open connections.
    #[arg(long, default_value_t = 20_000)]
    max_connections: usize,
    /// Requests per second one connection may make (sustained).
    #[arg(long, default_value_t = 10)]
    rate_per_sec: u32,
    /// Requests one connection may make in a burst.
    #[arg(long, default_value_t = 30)]
    rate_burst: u32,
    /// Seconds of silence before a connection is closed (pings every third).
    #[arg(long, default_value_t = 60)]
    idle_timeout_secs: u64,
    /// Largest WebSocket message accepted, in bytes.
    #[arg(long, default_value_t = 16 * 1024)]
    max_message_bytes: usize,
    /// Messages queued for one connection before it is dropped as too slow.
    #[arg(long, default_value_t = 1024)]
    outbound_queue: usize,
    /// Requests per second from one address before its connections have
    /// a seat (hello, join, resume), sustained.
    #[arg(long, default_value_t = 50)]
    address_rate_per_sec: u32,
    /// The same, in a burst.
    #[arg(long, default_value_t = 150)]
    address_rate_burst: u32,
    /// Most open connections from one address (a school behind one
    /// router counts as one address).
    #[arg(long, default_value_t = 500)]
    max_connections_per_address: usize,
    /// Seconds a connection has to send its HTTP request (the WebSocket
    /// upgrade).
    #[arg(long, default_value_t = 10)]
    http_timeout_secs: u64,
    /// Seconds a client may take to read what it is sent before it is
    /// dropped as too slow (it can resume).
    #[arg(long, default_value_t = 5)]
    slow_reader_secs: u64,
    /// Seconds a new connection has to say hello.
    #[arg(long, default_value_t = 10)]
    hello_timeout_secs: u64,
    /// A web page origin allowed to connect (e.g. https://school.example);
    /// repeat for more. Without any, every origin may connect.
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    allowed_origins: Vec<String>,
    /// An address (HOST or HOST:PORT) whose connections carry many clients,
    /// such as a load balancer in front: exempt from
    /// --max-connections-per-address and the per-address rate limit (still
    /// within --max-connections). Repeat for more. The other servers on the
    /// same PostgreSQL database are exempt without it.
    #[arg(long = "peer", value_name = "HOST")]
    peers: Vec<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .init();
    let args = Args::parse();

    let mut config = Config::default();
    for path in &args.scenarios {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read scenario {}: {e}", path.display()))?;
        let scenario = Scenario::from_toml(&text)
            .map_err(|e| anyhow::anyhow!("scenario {} refused: {e}", path.display()))?;
        tracing::info!(scenario = %scenario.id, file = %path.display(), "scenario loaded");
        // A teacher's file with the built-in id replaces the built-in one.
        config.scenarios.retain(|s| s.id != scenario.id);
        config.scenarios.insert(0, Arc::new(scenario));
    }
    config.retention_days = args.retention_days;
    config.limits.max_chat_chars = args.max_chat_chars;
    config.limits.max_games = args.max_games;
    config.limits.max_players_per_game = args.max_players_per_game;
    config.limits.max_connections = args.max_connections;
    config.limits.rate_per_sec = args.rate_per_sec.max(1);
    config.limits.rate_burst = args.rate_burst.max(1);
    config.limits.idle_timeout_secs = args.idle_timeout_secs.max(2);
    config.limits.ping_interval_secs = (args.idle_timeout_secs / 3).max(1);
    config.limits.max_message_bytes = args.max_message_bytes.max(1024);
    config.limits.outbound_queue = args.outbound_queue.max(1);
    config.limits.allowed_origins = args.allowed_origins.clone();
    config.limits.peers = args.peers.clone();
    config.limits.max_connections_per_address = args.max_connections_per_address.max(1);
    config.limits.address_rate_per_sec = args.address_rate_per_sec.max(1);
    config.limits.address_rate_burst = args.address_rate_burst.max(1);
    config.limits.http_timeout_secs = args.http_timeout_secs.max(1);
    config.limits.slow_reader_secs = args.slow_reader_secs.max(1);
    config.limits.handshake_timeout_secs = args.hello_timeout_secs.max(1);
    server::net::raise_open_file_limit();

    let postgres = args.db.starts_with("postgres://") || args.db.starts_with("postgresql://");
    let sqlite = if postgres {
        None
    } else {
        let store = SqliteStore::open(std::path::Path::new(&args.db))
            .map_err(|e| anyhow::anyhow!("cannot open the database {}: {e}", args.db))?;
        tracing::info!("games are kept in {}", args.db);
        Some(store)
    };

    let listener = TcpListener::bind(args.bind)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", args.bind))?;
    let addr = listener.local_addr()?;
    let pg = if postgres {
        let advertise = match &args.advertise {
            Some(a) => a.clone(),
            None if addr.ip().is_unspecified() => {
                let ip = std::net::UdpSocket::bind("0.0.0.0:0")
                    .and_then(|s| s.connect("192.0.2.1:9").map(|_| s))
                    .and_then(|s| s.local_addr())
                    .map(|a| a.ip())
                    .map_err(|e| anyhow::anyhow!("cannot tell this computer's address ({e}): start with --advertise HOST:PORT"))?;
                format!("{ip}:{}", addr.port())
            }
            None => addr.to_string(),
        };
        let opts = PgOptions {
            node: format!("{advertise}#{}", &server::hub::new_secret()[..8]),
            addr: format!("ws://{advertise}/ws"),
            lease: Duration::from_secs(args.lease_secs.max(2)),
            pool_size: args.db_pool,
        };
        let store = PgStore::connect(&args.db, opts)
            .await
            .map_err(|e| anyhow::anyhow!("cannot use the PostgreSQL database: {e}"))?;
        tracing::info!(
            "games are kept in PostgreSQL, shared with any other server on the same database"
        );
        Some(store)
    } else {
        None
    };
    // Tests and scripts read this line to find the port.
    println!("listening on {addr}");
    if addr.ip().is_unspecified() {
        // Bound to every interface (a class): say which address to give
        // the students. Connecting a UDP socket sends nothing; it only asks
        // the routing table which local address reaches the network.
        let lan = std::net::UdpSocket::bind("0.0.0.0:0")
            .and_then(|s| s.connect("192.0.2.1:9").map(|_| s))
            .and_then(|s| s.local_addr())
            .map(|a| a.ip());
        match lan {
            Ok(ip) if !ip.is_loopback() && !ip.is_unspecified() => {
                let port = addr.port();
                tracing::info!(
                    "Dual Power server listening on {addr}: the teacher opens http://{ip}:{port}/host in a browser; students open http://{ip}:{port}/ (or connect the terminal client with --server ws://{ip}:{port}/ws)"
                )
            }
            _ => tracing::info!(
                "Dual Power server listening on {addr}: the teacher opens http://THIS-COMPUTERS-ADDRESS:{port}/host in a browser; students open http://THIS-COMPUTERS-ADDRESS:{port}/ (terminal client: --server ws://THIS-COMPUTERS-ADDRESS:{port}/ws)",
                port = addr.port()
            ),
        }
    } else {
        tracing::info!(
            "Dual Power server listening on {addr}: open http://{addr}/host in a browser to host a game; clients connect to ws://{addr}/ws"
        );
        if addr.ip().is_loopback() {
            tracing::info!(
                "only this computer can connect; for a class, start with --bind 0.0.0.0:8080"
            );
        }
    }
    if let Some(store) = sqlite {
        return server::run(listener, config, Arc::new(store), shutdown_signal()).await;
    }
    let Some(store) = pg else {
        anyhow::bail!("no store");
    };
    server::run_cluster(listener, config, Arc::new(store), shutdown_signal()).await
}

/// Ctrl-C or SIGTERM; or, when `DUALPOWER_EXIT_WITH_STDIN` is set (the
/// test harness sets it), the end of standard input: a server started by a
/// test stops when the test process ends, however it ends.
async fn shutdown_signal() {
    let stdin_closed = async {
        if std::env::var_os("DUALPOWER_EXIT_WITH_STDIN").is_some() {
            // A plain thread, not `spawn_blocking`: the runtime would wait
            // for it at exit.
            let (closed, wait) = tokio::sync::oneshot::channel::<()>();
            std::thread::spawn(move || {
                let mut sink = [0u8; 256];
                while matches!(std::io::Read::read(&mut std::io::stdin(), &mut sink), Ok(n) if n > 0)
                {
                }
                let _ = closed.send(());
            });
            let _ = wait.await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
        _ = stdin_closed => {},
    }
}
