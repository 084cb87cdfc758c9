//! The server: one thread accepting connections, one thread per connection. Publishing only
//! appends to each page's bounded queue (dropping that page's oldest message when it is full),
//! so a slow or stuck browser never blocks the caller.

use std::collections::VecDeque;
use std::io;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, TrySendError};
use motor_position_control::protocol::{TelemetrySample, TELEMETRY_HZ};
use splitcore_exec::TaskStats;
use tungstenite::handshake::derive_accept_key;
use tungstenite::protocol::{Role, WebSocketConfig};
use tungstenite::{Message, WebSocket};

use crate::http::{self, HttpError, Request};
use crate::wire::{self, Command, CommandError, ServerText, Status};

/// Settings of a [`Dashboard`].
#[derive(Debug, Clone)]
pub struct Config {
    /// Shown on the page as who serves it (`"twin"`, `"esp-idf"`, ...).
    pub source: String,
    /// Messages queued per page before its oldest are dropped.
    pub queue_capacity: usize,
    /// Pages connected at once; more are refused with `503`.
    pub max_clients: usize,
    /// Commands queued for [`Dashboard::commands`] before pages get `queue_full`.
    pub command_capacity: usize,
    /// Log lines kept for pages that connect later.
    pub log_history: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            source: "splitcore".into(),
            queue_capacity: 512,
            max_clients: 8,
            command_capacity: 64,
            log_history: 200,
        }
    }
}

/// Counters of a running [`Dashboard`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Pages connected now.
    pub clients: usize,
    /// Telemetry samples published.
    pub samples_published: u64,
    /// Messages dropped for slow pages, all pages together.
    pub dropped_messages: u64,
    /// Messages from pages that were rejected.
    pub rejected_messages: u64,
    /// Commands accepted and queued.
    pub commands: u64,
}

/// What a page gets as soon as it connects.
#[derive(Default)]
struct Snapshot {
    status: Option<Message>,
    stats: Option<Message>,
    command: Option<Message>,
    crash: Option<Message>,
    logs: VecDeque<Message>,
}

struct Client {
    peer: SocketAddr,
    queue: Mutex<VecDeque<Message>>,
    ready: Condvar,
    dropped: AtomicU64,
}

struct Shared {
    config: Config,
    clients: Mutex<Vec<Arc<Client>>>,
    snapshot: Mutex<Snapshot>,
    stop: AtomicBool,
    commands: Sender<Command>,
    samples_published: AtomicU64,
    dropped: AtomicU64,
    rejected: AtomicU64,
    accepted: AtomicU64,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking connection thread must not take the publisher down with it.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A running dashboard server: the page on `/`, the WebSocket on `/ws`.
///
/// ```
/// use motor_position_control::protocol::TelemetrySample;
/// use splitcore_dashboard::Dashboard;
///
/// let dashboard = Dashboard::start("127.0.0.1:0")?; // port 0: any free port
/// println!("open {}", dashboard.url());
/// dashboard.publish_samples(&[TelemetrySample::default()]);
/// dashboard.publish_log("core 1 up");
/// while let Ok(command) = dashboard.commands().try_recv() {
///     println!("{:?}", command.to_setpoint(1));
/// }
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Dashboard {
    shared: Arc<Shared>,
    addr: SocketAddr,
    commands: Receiver<Command>,
    accept: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Dashboard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dashboard").field("addr", &self.addr).field("counters", &self.counters()).finish()
    }
}

impl Dashboard {
    /// Binds `addr` (port 0 picks a free port, see [`Dashboard::local_addr`]) and serves with
    /// the default [`Config`].
    ///
    /// ```
    /// let d = splitcore_dashboard::Dashboard::start("127.0.0.1:0")?;
    /// let busy = splitcore_dashboard::Dashboard::start(d.local_addr());
    /// assert_eq!(busy.unwrap_err().kind(), std::io::ErrorKind::AddrInUse);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn start(addr: impl ToSocketAddrs) -> io::Result<Dashboard> {
        Dashboard::start_with(addr, Config::default())
    }

    /// Binds `addr` and serves with `config`.
    ///
    /// ```
    /// use splitcore_dashboard::{Config, Dashboard};
    /// let config = Config { source: "twin".into(), queue_capacity: 64, ..Config::default() };
    /// let dashboard = Dashboard::start_with("127.0.0.1:0", config)?;
    /// assert_ne!(dashboard.local_addr().port(), 0);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn start_with(addr: impl ToSocketAddrs, config: Config) -> io::Result<Dashboard> {
        if config.queue_capacity == 0 || config.max_clients == 0 || config.command_capacity == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "queue_capacity, max_clients and command_capacity must be at least 1",
            ));
        }
        let listener = TcpListener::bind(addr)?;
        let addr = listener.local_addr()?;
        let (tx, rx) = crossbeam_channel::bounded(config.command_capacity);
        let shared = Arc::new(Shared {
            config,
            clients: Mutex::new(Vec::new()),
            snapshot: Mutex::new(Snapshot::default()),
            stop: AtomicBool::new(false),
            commands: tx,
            samples_published: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
            accepted: AtomicU64::new(0),
            threads: Mutex::new(Vec::new()),
        });
        let accept_shared = Arc::clone(&shared);
        let accept = std::thread::Builder::new()
            .name("dashboard-accept".into())
            .spawn(move || accept_loop(listener, accept_shared))?;
        Ok(Dashboard { shared, addr, commands: rx, accept: Some(accept) })
    }

    /// The bound address.
    ///
    /// ```
    /// let d = splitcore_dashboard::Dashboard::start("127.0.0.1:0")?;
    /// assert!(d.local_addr().ip().is_loopback());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<address>/`, for a browser.
    ///
    /// ```
    /// let d = splitcore_dashboard::Dashboard::start("127.0.0.1:0")?;
    /// assert_eq!(d.url(), format!("http://127.0.0.1:{}/", d.local_addr().port()));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Sends telemetry samples to every page (split into messages of at most
    /// [`wire::MAX_SAMPLES_PER_MESSAGE`]). Call it with batches (e.g. the samples of the last
    /// 20 ms): each call costs every page at least one WebSocket message and one queue slot.
    ///
    /// ```
    /// use motor_position_control::protocol::TelemetrySample;
    /// let d = splitcore_dashboard::Dashboard::start("127.0.0.1:0")?;
    /// d.publish_samples(&[TelemetrySample::default(); 300]);
    /// assert_eq!(d.counters().samples_published, 300);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn publish_samples(&self, samples: &[TelemetrySample]) {
        self.shared.samples_published.fetch_add(samples.len() as u64, Ordering::Relaxed);
        for bytes in wire::encode_sample_messages(samples) {
            self.shared.broadcast(&Message::binary(bytes));
        }
    }

    /// Sends the control task's loop statistics to every page (and to pages that connect later).
    ///
    /// ```
    /// use splitcore_exec::{Period, TaskStats};
    /// let d = splitcore_dashboard::Dashboard::start("127.0.0.1:0")?;
    /// d.publish_stats(&TaskStats::new(&Period::from_hz_at(20_000, 240_000_000).unwrap()));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn publish_stats(&self, stats: &TaskStats) {
        let message = Message::binary(wire::encode_stats(stats));
        self.shared.record_and_broadcast(&message, |snapshot, m| snapshot.stats = Some(m));
    }

    /// Sends core 1's status to every page (and to pages that connect later).
    ///
    /// ```
    /// use splitcore_dashboard::{Core1State, Dashboard, Status};
    /// let d = Dashboard::start("127.0.0.1:0")?;
    /// d.publish_status(&Status {
    ///     core1: Core1State::Running,
    ///     heartbeat: 120,
    ///     stack_high_water_bytes: 2304,
    ///     restarts: 0,
    ///     uptime_ms: 1500,
    ///     detail: "twin, virtual time 1.5 s".into(),
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn publish_status(&self, status: &Status) {
        let message = Message::text(ServerText::Status(status.clone()).to_json());
        self.shared.record_and_broadcast(&message, |snapshot, m| snapshot.status = Some(m));
    }

    /// Sends one log line to every page (the last [`Config::log_history`] lines are kept for
    /// pages that connect later).
    ///
    /// ```
    /// let d = splitcore_dashboard::Dashboard::start("127.0.0.1:0")?;
    /// d.publish_log("core 1 up, boot #1\n"); // a trailing newline is dropped
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn publish_log(&self, line: &str) {
        self.shared.log(line.trim_end_matches(['\r', '\n']));
    }

    /// Sends a crash report (lines separated by `\n`) to every page (and to pages that connect
    /// later).
    ///
    /// ```
    /// let d = splitcore_dashboard::Dashboard::start("127.0.0.1:0")?;
    /// d.publish_crash("Guru Meditation Error: Core  1 panic'ed (IllegalInstruction)\nBacktrace: 0x42000a1c:0x3fc9e0f0");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn publish_crash(&self, report: &str) {
        let message = Message::text(ServerText::Crash { report: report.to_string() }.to_json());
        self.shared.record_and_broadcast(&message, |snapshot, m| snapshot.crash = Some(m));
    }

    /// Commands from the pages, in arrival order. Every call returns a handle to the same
    /// queue.
    ///
    /// ```
    /// use std::time::Duration;
    /// let d = splitcore_dashboard::Dashboard::start("127.0.0.1:0")?;
    /// assert!(d.commands().recv_timeout(Duration::from_millis(10)).is_err()); // no page yet
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn commands(&self) -> Receiver<Command> {
        self.commands.clone()
    }

    /// The counters.
    ///
    /// ```
    /// let d = splitcore_dashboard::Dashboard::start("127.0.0.1:0")?;
    /// assert_eq!(d.counters(), splitcore_dashboard::Counters::default());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn counters(&self) -> Counters {
        let s = &self.shared;
        Counters {
            clients: lock(&s.clients).len(),
            samples_published: s.samples_published.load(Ordering::Relaxed),
            dropped_messages: s.dropped.load(Ordering::Relaxed),
            rejected_messages: s.rejected.load(Ordering::Relaxed),
            commands: s.accepted.load(Ordering::Relaxed),
        }
    }
}

impl Drop for Dashboard {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        for client in lock(&self.shared.clients).iter() {
            client.ready.notify_all();
        }
        // Wake the accept loop (it checks `stop` after every connection).
        let _ = TcpStream::connect_timeout(&wake_addr(self.addr), Duration::from_millis(200));
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
        let threads = std::mem::take(&mut *lock(&self.shared.threads));
        for t in threads {
            let _ = t.join();
        }
    }
}

fn wake_addr(addr: SocketAddr) -> SocketAddr {
    let mut wake = addr;
    if wake.ip().is_unspecified() {
        wake.set_ip(match addr {
            SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    wake
}

impl Shared {
    fn broadcast(&self, message: &Message) {
        for client in lock(&self.clients).iter() {
            self.push(client, message.clone());
        }
    }

    /// Records `message` in the snapshot for later pages and sends it to the current ones,
    /// atomically with respect to a page registering (same lock order: clients, then
    /// snapshot), so a page gets it exactly once: in its snapshot or live.
    fn record_and_broadcast(&self, message: &Message, record: impl FnOnce(&mut Snapshot, Message)) {
        let clients = lock(&self.clients);
        record(&mut lock(&self.snapshot), message.clone());
        for client in clients.iter() {
            self.push(client, message.clone());
        }
    }

    fn push(&self, client: &Client, message: Message) {
        let mut queue = lock(&client.queue);
        if queue.len() >= self.config.queue_capacity {
            queue.pop_front();
            client.dropped.fetch_add(1, Ordering::Relaxed);
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
        queue.push_back(message);
        drop(queue);
        client.ready.notify_one();
    }

    fn log(&self, line: &str) {
        let message = Message::text(ServerText::Log { line: line.to_string() }.to_json());
        let history = self.config.log_history;
        self.record_and_broadcast(&message, |snapshot, m| {
            if snapshot.logs.len() >= history {
                snapshot.logs.pop_front();
            }
            snapshot.logs.push_back(m);
        });
    }

    /// A message from a page that could not be used: answered, counted and logged.
    fn reject(&self, client: &Client, error: &CommandError) {
        self.rejected.fetch_add(1, Ordering::Relaxed);
        let reply = ServerText::Error { code: error.code().to_string(), message: error.to_string() };
        self.push(client, Message::text(reply.to_json()));
        let line =
            format!("dashboard: rejected a message from {}: {} ({})", client.peer, error, error.code());
        eprintln!("{line}");
        self.log(&line);
    }

    fn command(&self, client: &Client, text: &str) {
        let command = match wire::parse_command(text) {
            Ok(command) => command,
            Err(e) => return self.reject(client, &e),
        };
        match self.commands.try_send(command) {
            Ok(()) => {
                self.accepted.fetch_add(1, Ordering::Relaxed);
                let echo = Message::text(ServerText::Command { command: command.into() }.to_json());
                self.record_and_broadcast(&echo, |snapshot, m| snapshot.command = Some(m));
            }
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                self.reject(client, &CommandError::QueueFull)
            }
        }
    }
}

/// Connections (page files and WebSockets) served at once; more are answered `503` at once.
const MAX_CONNECTIONS: usize = 64;

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            break;
        }
        let mut stream = match stream {
            Ok(s) => s,
            Err(_) => {
                // Out of descriptors or similar: do not spin.
                std::thread::sleep(Duration::from_millis(20));
                continue;
            }
        };
        let mut threads = lock(&shared.threads);
        threads.retain(|t| !t.is_finished());
        if threads.len() >= MAX_CONNECTIONS {
            drop(threads);
            let _ = stream.set_write_timeout(Some(Duration::from_millis(100)));
            let _ = http::respond(
                &mut stream,
                "503 Service Unavailable",
                "text/plain",
                b"too many connections",
                true,
            );
            continue;
        }
        let conn_shared = Arc::clone(&shared);
        let spawned = std::thread::Builder::new()
            .name("dashboard-conn".into())
            .spawn(move || connection(stream, conn_shared));
        if let Ok(handle) = spawned {
            threads.push(handle);
        }
    }
}

fn connection(mut stream: TcpStream, shared: Arc<Shared>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
    let _ = stream.set_nodelay(true);
    let (request, rest) = match http::read_request(&mut stream) {
        Ok(r) => r,
        Err(HttpError::Closed) | Err(HttpError::Io(_)) => return,
        Err(e) => {
            let _ =
                http::respond(&mut stream, "400 Bad Request", "text/plain", e.to_string().as_bytes(), true);
            return;
        }
    };
    let path = request.path.split('?').next().unwrap_or("");
    if path == "/ws" {
        websocket(stream, rest, &request, &shared);
        return;
    }
    let head_only = request.method == "HEAD";
    let _ = match (request.method.as_str(), http::asset(&request.path)) {
        ("GET" | "HEAD", Some(asset)) => {
            http::respond(&mut stream, "200 OK", asset.content_type, asset.body.as_bytes(), !head_only)
        }
        ("GET" | "HEAD", None) => {
            http::respond(&mut stream, "404 Not Found", "text/plain", b"not found", !head_only)
        }
        _ => http::respond(&mut stream, "405 Method Not Allowed", "text/plain", b"GET or HEAD only", true),
    };
    let _ = stream.shutdown(Shutdown::Write);
}

fn websocket(mut stream: TcpStream, rest: Vec<u8>, request: &Request, shared: &Arc<Shared>) {
    let key = match upgrade_key(request) {
        Ok(key) => key,
        Err(why) => {
            let _ = http::respond(&mut stream, "400 Bad Request", "text/plain", why.as_bytes(), true);
            return;
        }
    };
    if lock(&shared.clients).len() >= shared.config.max_clients {
        let _ = http::respond(
            &mut stream,
            "503 Service Unavailable",
            "text/plain",
            b"too many pages connected",
            true,
        );
        return;
    }
    let response = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\n\r\n",
        derive_accept_key(key.as_bytes())
    );
    if io::Write::write_all(&mut stream, response.as_bytes()).is_err() {
        return;
    }
    let peer = stream.peer_addr().unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
    // Short read timeouts: the thread alternates between sending queued messages and reading.
    let _ = stream.set_read_timeout(Some(Duration::from_millis(5)));
    let _ = stream.set_write_timeout(Some(Duration::from_millis(500)));
    let config = WebSocketConfig::default()
        .write_buffer_size(64 * 1024)
        .max_write_buffer_size(512 * 1024)
        .max_message_size(Some(64 * 1024))
        .max_frame_size(Some(64 * 1024));
    let mut ws = WebSocket::from_partially_read(stream, rest, Role::Server, Some(config));
    let client = Arc::new(Client {
        peer,
        queue: Mutex::new(VecDeque::new()),
        ready: Condvar::new(),
        dropped: AtomicU64::new(0),
    });
    {
        // Register and queue the snapshot under the clients lock so no broadcast slips in
        // between (the page sees the snapshot first, then live messages).
        let mut clients = lock(&shared.clients);
        let hello = ServerText::Hello {
            protocol: wire::VERSION,
            source: shared.config.source.clone(),
            telemetry_hz: TELEMETRY_HZ,
        };
        shared.push(&client, Message::text(hello.to_json()));
        let snapshot = lock(&shared.snapshot);
        let fixed = [&snapshot.status, &snapshot.stats, &snapshot.command, &snapshot.crash];
        for m in fixed.into_iter().flatten().chain(snapshot.logs.iter()) {
            shared.push(&client, m.clone());
        }
        drop(snapshot);
        clients.push(Arc::clone(&client));
    }
    serve_client(&mut ws, &client, shared);
    lock(&shared.clients).retain(|c| !Arc::ptr_eq(c, &client));
}

fn upgrade_key(request: &Request) -> Result<String, &'static str> {
    if request.method != "GET" {
        return Err("the WebSocket needs GET");
    }
    if !request.header_has("upgrade", "websocket") || !request.header_has("connection", "upgrade") {
        return Err("/ws is the WebSocket endpoint (Upgrade: websocket missing)");
    }
    if request.header("sec-websocket-version") != Some("13") {
        return Err("Sec-WebSocket-Version 13 required");
    }
    request.header("sec-websocket-key").map(str::to_string).ok_or("Sec-WebSocket-Key missing")
}

fn serve_client(ws: &mut WebSocket<TcpStream>, client: &Client, shared: &Shared) {
    let mut reported_drops = 0u64;
    let mut last_drop_report = Instant::now();
    loop {
        if shared.stop.load(Ordering::SeqCst) {
            let _ = ws.close(None);
            let _ = ws.flush();
            return;
        }
        let batch: Vec<Message> = {
            let mut queue = lock(&client.queue);
            if queue.is_empty() {
                queue = client
                    .ready
                    .wait_timeout(queue, Duration::from_millis(10))
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
            }
            queue.drain(..).collect()
        };
        let dropped = client.dropped.load(Ordering::Relaxed);
        let mut outgoing = batch;
        if dropped != reported_drops && last_drop_report.elapsed() > Duration::from_millis(500) {
            outgoing.push(Message::text(ServerText::Dropped { messages: dropped }.to_json()));
            reported_drops = dropped;
            last_drop_report = Instant::now();
        }
        for message in outgoing {
            match ws.write(message) {
                Ok(()) => {}
                Err(tungstenite::Error::WriteBufferFull(_)) => {
                    client.dropped.fetch_add(1, Ordering::Relaxed);
                    shared.dropped.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) if would_block(&e) => {}
                Err(_) => return,
            }
        }
        match ws.flush() {
            Ok(()) => {}
            Err(e) if would_block(&e) => {}
            Err(_) => return,
        }
        match ws.read() {
            Ok(Message::Text(text)) => shared.command(client, text.as_str()),
            Ok(Message::Binary(bytes)) => shared.reject(client, &CommandError::Binary { len: bytes.len() }),
            Ok(_) => {} // ping/pong (answered by tungstenite), close (acknowledged on the next flush)
            Err(e) if would_block(&e) => {}
            Err(tungstenite::Error::Capacity(e)) => {
                let error = CommandError::TooLong { len: capacity_len(&e) };
                shared.reject(client, &error);
                let _ = ws.flush();
                return;
            }
            Err(_) => return,
        }
    }
}

fn capacity_len(e: &tungstenite::error::CapacityError) -> usize {
    match e {
        tungstenite::error::CapacityError::MessageTooLong { size, .. } => *size,
        _ => 0,
    }
}

fn would_block(e: &tungstenite::Error) -> bool {
    matches!(e, tungstenite::Error::Io(io) if matches!(io.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut))
}
