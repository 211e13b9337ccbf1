//! A TCP relay in front of one of the node's ports that a test can cut and restore: what a
//! flaky network or a load balancer dropping connections does to a client, while the node
//! itself keeps producing blocks (so clients must catch up on what they missed).

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::error::{io_error, Result};

/// Relays connections from its own loopback port to `target`. While cut, open connections are
/// closed and new ones are accepted and closed at once (as a refused upstream would look).
pub struct TcpRelay {
    listen: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

struct Shared {
    target: SocketAddr,
    /// How long every chunk is held before it is passed on (a slow link), in each direction.
    latency: Duration,
    cut: AtomicBool,
    stop: AtomicBool,
    /// Both ends of every relayed connection, to close them when cut.
    open: Mutex<Vec<TcpStream>>,
    accepted: AtomicU64,
}

impl TcpRelay {
    /// Starts relaying from a free port on 127.0.0.1 to `target`.
    pub fn start(target: SocketAddr) -> Result<Self> {
        Self::with_latency(target, Duration::ZERO)
    }

    /// Starts relaying to `target`, passing every chunk on `latency` after it arrived, in each
    /// direction (a long or congested link; order and bytes are kept).
    pub fn with_latency(target: SocketAddr, latency: Duration) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").map_err(io_error("binding the relay"))?;
        let listen = listener
            .local_addr()
            .map_err(io_error("reading the relay's port"))?;
        let shared = Arc::new(Shared {
            target,
            latency,
            cut: AtomicBool::new(false),
            stop: AtomicBool::new(false),
            open: Mutex::new(Vec::new()),
            accepted: AtomicU64::new(0),
        });
        let acceptor = {
            let shared = shared.clone();
            std::thread::spawn(move || accept_loop(listener, &shared))
        };
        Ok(Self {
            listen,
            shared,
            acceptor: Some(acceptor),
        })
    }

    /// The relay's address; give it to the client instead of the node's.
    pub fn address(&self) -> SocketAddr {
        self.listen
    }

    /// Closes every relayed connection and refuses new ones until [`TcpRelay::restore`].
    pub fn cut(&self) {
        self.shared.cut.store(true, Ordering::SeqCst);
        self.shared.close_all();
    }

    pub fn restore(&self) {
        self.shared.cut.store(false, Ordering::SeqCst);
    }

    /// Connections accepted so far (reconnects show up here).
    pub fn connections_accepted(&self) -> u64 {
        self.shared.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for TcpRelay {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.shared.close_all();
        // Wakes the blocking accept.
        let _ = TcpStream::connect(self.listen);
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

impl Shared {
    fn close_all(&self) {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        for stream in open.drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
}

fn accept_loop(listener: TcpListener, shared: &Arc<Shared>) {
    for client in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(client) = client else { continue };
        shared.accepted.fetch_add(1, Ordering::SeqCst);
        if shared.cut.load(Ordering::SeqCst) {
            let _ = client.shutdown(Shutdown::Both);
            continue;
        }
        let Ok(upstream) = TcpStream::connect(shared.target) else {
            let _ = client.shutdown(Shutdown::Both);
            continue;
        };
        let (Ok(client_copy), Ok(upstream_copy)) = (client.try_clone(), upstream.try_clone())
        else {
            continue;
        };
        {
            let mut open = shared.open.lock().unwrap_or_else(|p| p.into_inner());
            // Closed connections are dropped from the list when the next one comes.
            open.retain(|s| s.peer_addr().is_ok());
            if let (Ok(a), Ok(b)) = (client.try_clone(), upstream.try_clone()) {
                open.push(a);
                open.push(b);
            }
        }
        let latency = shared.latency;
        std::thread::spawn(move || pipe(client, upstream, latency));
        std::thread::spawn(move || pipe(upstream_copy, client_copy, latency));
    }
}

/// Copies `from` into `to`, each chunk `latency` after it was read, until either side closes,
/// then closes both.
fn pipe(mut from: TcpStream, mut to: TcpStream, latency: Duration) {
    if latency.is_zero() {
        copy(&mut from, &mut to);
    } else {
        // The reader keeps reading while the writer holds each chunk until its time.
        let (chunks, held) = std::sync::mpsc::channel::<(Instant, Vec<u8>)>();
        let mut writer = match to.try_clone() {
            Ok(writer) => writer,
            Err(_) => return,
        };
        let delivery = std::thread::spawn(move || {
            for (due, chunk) in held {
                std::thread::sleep(due.saturating_duration_since(Instant::now()));
                if writer.write_all(&chunk).is_err() {
                    break;
                }
            }
        });
        let mut buffer = [0u8; 16 * 1024];
        loop {
            match from.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if chunks
                        .send((Instant::now() + latency, buffer[..n].to_vec()))
                        .is_err()
                    {
                        break;
                    }
                }
            }
        }
        drop(chunks);
        let _ = delivery.join();
    }
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
}

fn copy(from: &mut TcpStream, to: &mut TcpStream) {
    let mut buffer = [0u8; 16 * 1024];
    loop {
        match from.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if to.write_all(&buffer[..n]).is_err() {
                    break;
                }
            }
        }
    }
}
