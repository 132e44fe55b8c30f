//! Several server processes on one PostgreSQL database: this process's
//! part in keeping every game owned by exactly one of them.
//!
//! One task per process, every [`TICK`]:
//! - renews the leases of the games it runs (every third of a lease); a
//!   game whose lease it finds lost (another process claimed it after this
//!   one stalled past its lease) has its room stopped here, and the room's
//!   members are told to reconnect: they reach the new owner;
//! - claims games whose lease has run out (their owner died or stopped) and
//!   runs them here, rebuilt by folding their log — the restart path. The
//!   vacant games are shared out: each process claims at most its share of
//!   them per tick, so the games of a dead process spread over the living.
//!
//! A connection for a vacant game claims it at once (see
//! [`Hub::locate`]), so a class whose server died is served again as soon
//! as the lease runs out and its clients reconnect.

use crate::hub::Hub;
use crate::pgstore::PgStore;
use crate::room;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// How often the task wakes.
pub const TICK: Duration = Duration::from_millis(500);

/// Keep this process's leases and take over the games of dead processes
/// until `stop`; then give every lease up so the others take over at once.
pub async fn run(hub: Arc<Hub>, store: Arc<PgStore>, stop: watch::Receiver<bool>) {
    // Renewal has a task of its own: taking games over (loading their logs)
    // must never delay it past a lease.
    let renewals = tokio::spawn(renew(hub.clone(), store.clone(), stop.clone()));
    claim(hub, store, stop).await;
    let _ = renewals.await;
}

async fn renew(hub: Arc<Hub>, store: Arc<PgStore>, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(store.lease() / 3);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last = Instant::now();
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => break,
        }
        match store.renew().await {
            Ok(lost) => {
                if last.elapsed() > store.lease() {
                    tracing::warn!(
                        "this server went {} ms without renewing its leases (lease {} ms): it was stalled or cut off from the database",
                        last.elapsed().as_millis(),
                        store.lease().as_millis()
                    );
                }
                last = Instant::now();
                for code in lost {
                    tracing::warn!(game = %code,
                        "this server lost the game to another server process (it stalled past its lease): moving its players there");
                    hub.release(&code).await;
                }
            }
            Err(e) => tracing::error!("could not renew this server's leases: {e}"),
        }
    }
}

async fn claim(hub: Arc<Hub>, store: Arc<PgStore>, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => break,
        }
        if let Err(e) = claim_vacant(&hub, &store).await {
            tracing::error!("could not look for games to take over: {e}");
        }
    }
}

async fn claim_vacant(hub: &Hub, store: &PgStore) -> Result<(), crate::store::StoreError> {
    let since = room::now_ms().saturating_sub(hub.config().retention_ms());
    let vacant = store.vacant_count(since).await?;
    if vacant == 0 {
        return Ok(());
    }
    let share = vacant.div_ceil(store.live_nodes().await?);
    for code in store.vacant(since, share).await? {
        if hub.config().limits.max_games <= hub.game_count() {
            break;
        }
        hub.take_over(&code).await?;
    }
    Ok(())
}
