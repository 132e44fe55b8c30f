//! The bare baseline: what the socket layer alone does with the same
//! message pattern as a Dual Power game's chat.
//!
//! A minimal tokio-tungstenite server: a client's first text frame names
//! its room; every later text frame is wrapped in an event-shaped JSON frame
//! (about the size of a real `chat` event) and sent to every member of the
//! room through a bounded per-connection queue, serialized once for all.
//! No game, no store, no authorization, no rate limit: the floor under
//! which the real server cannot go. `loadgen` runs both, side by side.

use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

#[derive(Parser)]
#[command(about = "A bare tokio-tungstenite broadcast server (the benchmark baseline)")]
struct Args {
    #[arg(long, default_value = "127.0.0.1:0")]
    bind: String,
    /// Per-connection read buffer, bytes (tungstenite keeps one per
    /// connection; the real server reads through a buffer shared by a
    /// thread's connections).
    #[arg(long, default_value_t = 4096)]
    read_buffer: usize,
    /// Per-connection outbound queue, messages.
    #[arg(long, default_value_t = 1024)]
    queue: usize,
}

type Members = Vec<(u64, mpsc::Sender<Arc<str>>)>;

#[derive(Default)]
struct Rooms {
    rooms: HashMap<String, Members>,
    seq: u64,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(serve(args))
}

async fn serve(args: Args) -> anyhow::Result<()> {
    let listener = TcpListener::bind(&args.bind).await?;
    println!("listening on {}", listener.local_addr()?);
    let rooms = Arc::new(Mutex::new(Rooms::default()));
    let config = WebSocketConfig::default()
        .read_buffer_size(args.read_buffer)
        .write_buffer_size(args.read_buffer)
        .max_write_buffer_size(1 << 20)
        .max_message_size(Some(16 << 10))
        .max_frame_size(Some(16 << 10));
    let mut next_id = 0u64;
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        next_id += 1;
        let id = next_id;
        let rooms = rooms.clone();
        let queue = args.queue;
        tokio::spawn(async move {
            let Ok(ws) = tokio_tungstenite::accept_async_with_config(stream, Some(config)).await
            else {
                return;
            };
            let (mut sink, mut stream) = ws.split();
            let (tx, mut rx) = mpsc::channel::<Arc<str>>(queue);
            let writer = tokio::spawn(async move {
                while let Some(frame) = rx.recv().await {
                    if sink.send(Message::Text((&*frame).into())).await.is_err() {
                        break;
                    }
                }
            });
            let mut room: Option<String> = None;
            while let Some(Ok(msg)) = stream.next().await {
                let Message::Text(text) = msg else { continue };
                match &room {
                    None => {
                        let name = text.to_string();
                        rooms
                            .lock()
                            .expect("rooms")
                            .rooms
                            .entry(name.clone())
                            .or_default()
                            .push((id, tx.clone()));
                        room = Some(name);
                    }
                    Some(name) => {
                        let (frame, members) = {
                            let mut r = rooms.lock().expect("rooms");
                            r.seq += 1;
                            let frame = serde_json::json!({
                                "type": "event",
                                "seq": r.seq,
                                "event": {"kind": "chat", "id": r.seq, "scope": {"kind": "floor"}, "from": id, "text": text.as_str()},
                            })
                            .to_string();
                            (
                                Arc::<str>::from(frame),
                                r.rooms.get(name).cloned().unwrap_or_default(),
                            )
                        };
                        for (_, m) in members {
                            let _ = m.try_send(frame.clone());
                        }
                    }
                }
            }
            if let Some(name) = room {
                let mut r = rooms.lock().expect("rooms");
                if let Some(members) = r.rooms.get_mut(&name) {
                    members.retain(|(m, _)| *m != id);
                }
            }
            writer.abort();
        });
    }
}
