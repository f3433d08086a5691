//! Accepting connections: `serve` for any tokio runtime, `MockServer` for in-process tests.

use std::cell::RefCell;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use http::{Request, Response};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::Service;
use hyper_util::rt::TokioIo;
use rand_chacha::ChaCha8Rng;
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::oneshot;
use tokio::task::JoinSet;

use super::body::MockBody;
use super::config::{latency_rng, next_seed, MockConfig, SseMode};
use super::handler::{handle, Shared};
use super::stats::MockStats;

/// One connection's service. HTTP/1 serves a connection's requests one at a time, so the
/// per-connection RNG needs no lock; it only exists when a latency model is random.
struct ConnService {
    shared: Arc<Shared>,
    rng: Option<RefCell<ChaCha8Rng>>,
}

impl Service<Request<Incoming>> for ConnService {
    type Response = Response<MockBody>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<MockBody>, Infallible>> + Send>>;

    fn call(&self, req: Request<Incoming>) -> Self::Future {
        let seed = self
            .rng
            .as_ref()
            .map_or(0, |rng| next_seed(&mut rng.borrow_mut()));
        Box::pin(handle(Arc::clone(&self.shared), req, seed))
    }
}

/// Serves the mock API on `listener` until `shutdown` completes, then closes every open
/// connection and returns.
///
/// Works on any tokio runtime with the time driver enabled (`enable_all`); current-thread is
/// fastest for one core. Connections get
/// TCP_NODELAY and keep-alive; request `i` of connection `c` draws its latencies from a
/// stream seeded by `(c, i)`, so runs with one connection are reproducible.
pub async fn serve(
    listener: TcpListener,
    config: Arc<MockConfig>,
    stats: Arc<MockStats>,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let random_latency = config.ttft.is_random() || config.itl.is_random();
    let config_sse_mode = config.sse_mode;
    let tls = config.tls.clone();
    let shared = Arc::new(Shared::new(config, Arc::clone(&stats)));
    let mut builder = http1::Builder::new();
    // No header timeout: it would arm a timer per request, and the mock serves trusted clients.
    // Chunked streams are many small buffers: flattening them into hyper's write buffer makes
    // one `write` per flush instead of a `writev` every 16 buffers (half the CPU). One-body
    // responses are a single large buffer that `writev` sends without copying.
    let flatten = config_sse_mode == SseMode::Chunked;
    builder
        .keep_alive(true)
        .header_read_timeout(None)
        .writev(!flatten);
    let mut connections = JoinSet::new();
    let mut connection_index: u64 = 0;
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(_) => {
                // Out of file descriptors or a connection reset before accept: back off a
                // moment instead of spinning, then keep serving.
                tokio::time::sleep(Duration::from_millis(1)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        while connections.try_join_next().is_some() {}
        let service = ConnService {
            shared: Arc::clone(&shared),
            rng: random_latency.then(|| RefCell::new(latency_rng(connection_index))),
        };
        connection_index += 1;
        let builder = builder.clone();
        let stats = Arc::clone(&stats);
        match tls.clone() {
            None => {
                stats.connection_opened();
                connections.spawn(async move {
                    // A client hanging up, or a `drop_every` fault, ends the connection with
                    // an error that is nobody's business here.
                    let _ = builder
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
            Some(tls) => {
                connections.spawn(async move {
                    // A failed handshake (a plain-HTTP client, an unknown CA) is the client's
                    // to report; rustls has sent it an alert.
                    let Ok(stream) = tls.acceptor().accept(stream).await else {
                        return;
                    };
                    stats.connection_opened();
                    let _ = builder
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        }
    }
    connections.shutdown().await;
    Ok(())
}

/// Binds a listener with a deep accept queue. Must run inside a tokio runtime.
///
/// std's listeners queue 128 connections; a client opening 1,000 at once would then see
/// dropped SYNs and a one-second retransmit in its connect times.
pub fn listen(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// Connections the listener queues before accepting them.
const LISTEN_BACKLOG: u32 = 4096;

/// A mock server running on its own thread and tokio runtime, for tests and embedding.
///
/// Dropping it (or calling [`MockServer::shutdown`]) stops it and joins the thread.
#[derive(Debug)]
pub struct MockServer {
    addr: SocketAddr,
    /// The CA's PEM when serving TLS.
    ca_pem: Option<String>,
    stats: Arc<MockStats>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<io::Result<()>>>,
}

impl MockServer {
    /// Starts a server on `127.0.0.1` with an OS-chosen port and one worker thread.
    pub fn start(config: MockConfig) -> io::Result<MockServer> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), config, 1)
    }

    /// Starts a server on `addr` with `worker_threads` tokio workers (1 = a current-thread
    /// runtime on the server thread, the cheapest setup).
    pub fn start_on(
        addr: SocketAddr,
        config: MockConfig,
        worker_threads: usize,
    ) -> io::Result<MockServer> {
        let runtime = build_runtime(worker_threads)?;
        let listener = {
            let _entered = runtime.enter();
            listen(addr)?
        };
        let addr = listener.local_addr()?;
        let stats = Arc::new(MockStats::new());
        let (stop, stopped) = oneshot::channel::<()>();
        let ca_pem = config.tls.as_ref().map(|t| t.ca_pem().to_owned());
        let config = Arc::new(config);
        let thread_stats = Arc::clone(&stats);
        let thread = std::thread::Builder::new()
            .name(format!("mock-server-{}", addr.port()))
            .spawn(move || {
                let shutdown = async {
                    let _ = stopped.await;
                };
                let result = runtime.block_on(serve(listener, config, thread_stats, shutdown));
                runtime.shutdown_timeout(Duration::from_secs(1));
                result
            })?;
        Ok(MockServer {
            addr,
            ca_pem,
            stats,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The bound address (with the real port when started on port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL, e.g. `http://127.0.0.1:PORT` (`https://` when serving TLS), without a
    /// trailing slash.
    pub fn url(&self) -> String {
        let scheme = if self.ca_pem.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}", self.addr)
    }

    /// The PEM of the CA that signed the TLS certificate, when serving TLS.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// The live counters.
    pub fn stats(&self) -> Arc<MockStats> {
        Arc::clone(&self.stats)
    }

    /// Stops accepting, closes open connections and joins the server thread.
    pub fn shutdown(self) {
        drop(self);
    }

    fn stop_and_join(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

/// A current-thread runtime for one worker, a multi-thread one otherwise.
pub(crate) fn build_runtime(worker_threads: usize) -> io::Result<tokio::runtime::Runtime> {
    if worker_threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(worker_threads)
            .thread_name("mock-worker")
            .enable_all()
            .build()
    }
}

#[cfg(test)]
#[path = "server_tests.rs"]
mod tests;
