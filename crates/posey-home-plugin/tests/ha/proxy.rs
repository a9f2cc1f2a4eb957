//! A TCP proxy in front of Home Assistant that can cut its WebSocket connections and refuse new
//! ones while letting REST through: the socket down, the instance up.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub struct Proxy {
    pub port: u16,
    blocked: Arc<AtomicBool>,
    cuts: watch::Sender<u64>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    pub async fn start(target_port: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a proxy port");
        let port = listener.local_addr().expect("its address").port();
        let blocked = Arc::new(AtomicBool::new(false));
        let (cuts, _) = watch::channel(0u64);
        let task = {
            let blocked = Arc::clone(&blocked);
            let cuts = cuts.clone();
            tokio::spawn(async move {
                while let Ok((client, _)) = listener.accept().await {
                    let blocked = Arc::clone(&blocked);
                    let cut = cuts.subscribe();
                    tokio::spawn(forward(client, target_port, blocked, cut));
                }
            })
        };
        Self { port, blocked, cuts, task }
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Closes every WebSocket connection through it; while `refuse`, new ones are closed at once.
    pub fn cut_websockets(&self, refuse: bool) {
        self.blocked.store(refuse, Ordering::SeqCst);
        self.cuts.send_modify(|n| *n += 1);
    }

    pub fn allow_websockets(&self) {
        self.blocked.store(false, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn forward(
    mut client: TcpStream,
    target_port: u16,
    blocked: Arc<AtomicBool>,
    mut cut: watch::Receiver<u64>,
) {
    // The request line tells a WebSocket upgrade (`GET /api/websocket`) from REST.
    let mut head = vec![0u8; 8192];
    let mut len = 0;
    while !head[..len].windows(2).any(|w| w == b"\r\n") && len < head.len() {
        match client.read(&mut head[len..]).await {
            Ok(0) | Err(_) => return,
            Ok(n) => len += n,
        }
    }
    let websocket = head[..len].starts_with(b"GET /api/websocket");
    if websocket && blocked.load(Ordering::SeqCst) {
        return;
    }
    let Ok(mut upstream) = TcpStream::connect(("127.0.0.1", target_port)).await else { return };
    if upstream.write_all(&head[..len]).await.is_err() {
        return;
    }
    cut.mark_unchanged();
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut client, &mut upstream) => {}
        _ = cut.changed(), if websocket => {}
    }
}
