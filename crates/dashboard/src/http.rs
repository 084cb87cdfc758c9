//! Just enough HTTP/1.1 for the dashboard: read one request head, serve the embedded page
//! files, or hand a WebSocket upgrade on `/ws` to the server.

use std::io::{self, Read, Write};

/// Longest request head accepted, bytes.
pub const MAX_HEAD: usize = 8192;

/// The page files, embedded from `examples/motor-position/dashboard/` at build time.
pub const ASSETS: &[Asset] = &[
    Asset {
        path: "/index.html",
        content_type: "text/html; charset=utf-8",
        body: include_str!("../../../examples/motor-position/dashboard/index.html"),
    },
    Asset {
        path: "/style.css",
        content_type: "text/css; charset=utf-8",
        body: include_str!("../../../examples/motor-position/dashboard/style.css"),
    },
    Asset {
        path: "/app.mjs",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../../../examples/motor-position/dashboard/app.mjs"),
    },
    Asset {
        path: "/decode.mjs",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../../../examples/motor-position/dashboard/decode.mjs"),
    },
    Asset {
        path: "/plot.mjs",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../../../examples/motor-position/dashboard/plot.mjs"),
    },
];

/// One embedded file.
#[derive(Debug, Clone, Copy)]
pub struct Asset {
    /// URL path.
    pub path: &'static str,
    /// `Content-Type` header.
    pub content_type: &'static str,
    /// The file.
    pub body: &'static str,
}

/// The embedded file for a URL path (`/` is `/index.html`; a query string is ignored).
///
/// ```
/// use splitcore_dashboard::http::asset;
/// assert!(asset("/").unwrap().body.contains("<canvas"));
/// assert_eq!(asset("/decode.mjs?v=1").unwrap().content_type, "text/javascript; charset=utf-8");
/// assert!(asset("/../Cargo.toml").is_none());
/// ```
pub fn asset(path: &str) -> Option<&'static Asset> {
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let path = if path == "/" { "/index.html" } else { path };
    ASSETS.iter().find(|a| a.path == path)
}

/// A parsed request head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// `GET`, `HEAD`, ...
    pub method: String,
    /// The request target.
    pub path: String,
    /// Header names (lower-cased) and values.
    pub headers: Vec<(String, String)>,
}

impl Request {
    /// The first header called `name` (lower-case).
    ///
    /// ```
    /// let req = splitcore_dashboard::http::parse_head("GET / HTTP/1.1\r\nHost: a\r\nHost: b").unwrap();
    /// assert_eq!(req.header("host"), Some("a"));
    /// assert_eq!(req.header("upgrade"), None);
    /// ```
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// Whether the header `name` lists `token` (comma-separated, case-insensitive).
    ///
    /// ```
    /// let req = splitcore_dashboard::http::parse_head("GET / HTTP/1.1\r\nConnection: keep-alive, Upgrade").unwrap();
    /// assert!(req.header_has("connection", "upgrade"));
    /// assert!(!req.header_has("connection", "close"));
    /// ```
    pub fn header_has(&self, name: &str, token: &str) -> bool {
        self.header(name).is_some_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
    }
}

/// Why a request could not be read.
#[derive(Debug)]
pub enum HttpError {
    /// The connection failed or timed out.
    Io(io::Error),
    /// The peer closed the connection before a full head.
    Closed,
    /// The head is longer than [`MAX_HEAD`].
    TooLarge,
    /// The head is not valid HTTP/1.x (what was wrong).
    Malformed(&'static str),
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HttpError::Io(e) => write!(f, "reading the request: {e}"),
            HttpError::Closed => write!(f, "connection closed before the request head ended"),
            HttpError::TooLarge => write!(f, "request head longer than {MAX_HEAD} bytes"),
            HttpError::Malformed(what) => write!(f, "malformed request: {what}"),
        }
    }
}

impl std::error::Error for HttpError {}

/// Reads one request head; returns it and any bytes read past its end.
///
/// ```
/// use splitcore_dashboard::http::{read_request, HttpError};
///
/// let mut input: &[u8] = b"GET /app.mjs HTTP/1.1\r\nHost: x\r\n\r\nextra";
/// let (req, rest) = read_request(&mut input).unwrap();
/// assert_eq!((req.path.as_str(), rest.as_slice()), ("/app.mjs", &b"extra"[..]));
/// let mut cut: &[u8] = b"GET / HTTP/1.1\r\n";
/// assert!(matches!(read_request(&mut cut), Err(HttpError::Closed)));
/// ```
pub fn read_request(stream: &mut impl Read) -> Result<(Request, Vec<u8>), HttpError> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    let end = loop {
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos;
        }
        if buf.len() > MAX_HEAD {
            return Err(HttpError::TooLarge);
        }
        let n = stream.read(&mut chunk).map_err(HttpError::Io)?;
        if n == 0 {
            return Err(HttpError::Closed);
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    if end > MAX_HEAD {
        return Err(HttpError::TooLarge);
    }
    let rest = buf[end + 4..].to_vec();
    let head = std::str::from_utf8(&buf[..end]).map_err(|_| HttpError::Malformed("not UTF-8"))?;
    Ok((parse_head(head)?, rest))
}

/// Parses a request head (without the final empty line).
///
/// ```
/// use splitcore_dashboard::http::parse_head;
/// let req = parse_head("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket").unwrap();
/// assert_eq!((req.method.as_str(), req.path.as_str()), ("GET", "/ws"));
/// assert_eq!(req.header("upgrade"), Some("websocket"));
/// assert!(parse_head("GET /").is_err());
/// ```
pub fn parse_head(head: &str) -> Result<Request, HttpError> {
    let mut lines = head.split("\r\n");
    let request_line = lines.next().ok_or(HttpError::Malformed("empty request"))?;
    let mut parts = request_line.split(' ');
    let (Some(method), Some(path), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(HttpError::Malformed("request line is not `METHOD PATH VERSION`"));
    };
    if !version.starts_with("HTTP/1.") {
        return Err(HttpError::Malformed("not HTTP/1.x"));
    }
    if method.is_empty() || !path.starts_with('/') {
        return Err(HttpError::Malformed("bad method or path"));
    }
    let mut headers = Vec::new();
    for line in lines {
        let (name, value) = line.split_once(':').ok_or(HttpError::Malformed("header line without `:`"))?;
        if name.is_empty() || name.contains(' ') {
            return Err(HttpError::Malformed("bad header name"));
        }
        headers.push((name.to_ascii_lowercase(), value.trim().to_string()));
    }
    Ok(Request { method: method.to_string(), path: path.to_string(), headers })
}

/// Writes a complete response and asks the client to close.
///
/// ```
/// let mut out = Vec::new();
/// splitcore_dashboard::http::respond(&mut out, "404 Not Found", "text/plain", b"no", true).unwrap();
/// let text = String::from_utf8(out).unwrap();
/// assert!(text.starts_with("HTTP/1.1 404 Not Found\r\n") && text.ends_with("\r\n\r\nno"));
/// ```
pub fn respond(
    stream: &mut impl Write,
    status: &str,
    content_type: &str,
    body: &[u8],
    with_body: bool,
) -> io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Cache-Control: no-cache\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    if with_body {
        stream.write_all(body)?;
    }
    stream.flush()
}
