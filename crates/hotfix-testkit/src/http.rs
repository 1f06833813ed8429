//! One small fake HTTP server for tests and the demo: a thread with a
//! `TcpListener` on `127.0.0.1:0`, HTTP/1.1 with `Content-Length` and one
//! request per connection (`Connection: close`).
//!
//! A route is a method, a path pattern (`:name` matches one segment), a `doc`
//! naming the documented endpoint it stands for, and a [`Handler`]. A handler
//! may hold state: [`sequence`] answers from a list in turn, and a closure
//! can read a value the test changes (a file, an `Arc<Mutex<_>>`).
//!
//! ```
//! use hotfix_testkit::http::{Response, Server};
//!
//! let server = Server::builder()
//!     .route(
//!         "GET",
//!         "/projects/:id/environments",
//!         "GET /projects/:id/environments (GitLab doc/api/environments.md)",
//!         |req: &hotfix_testkit::http::Request| {
//!             Response::json(200, format!("[{{\"project\": \"{}\"}}]", req.param("id").unwrap_or("")))
//!         },
//!     )
//!     .start()
//!     .expect("server starts");
//! let url = server.url_for("/projects/7/environments");
//! # let _ = url;
//! assert!(server.requests().is_empty());
//! ```
//!
//! Dropping the [`Server`] stops its thread and closes the port.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// How long a connection may stay silent before the server gives up on it,
/// so a client killed mid-request cannot stall the others.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// A request as the server received it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    /// The path without the query string.
    pub path: String,
    /// The query string after `?`, if any.
    pub query: Option<String>,
    /// Headers in the order received, names as sent.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Values of the route's `:name` segments; empty when no route matched.
    pub params: Vec<(String, String)>,
}

impl Request {
    /// Returns the first header called `name`, compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Returns the value of the route's `:name` segment.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// Returns the body as text, lossily.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A response a handler gives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// Returns a response with `status`, no headers and no body.
    pub fn new(status: u16) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Returns a response carrying `body` as `application/json`.
    pub fn json(status: u16, body: impl Into<String>) -> Response {
        Response::new(status)
            .header("Content-Type", "application/json")
            .body(body.into())
    }

    /// Returns a response carrying `body` as `text/plain`.
    pub fn text(status: u16, body: impl Into<String>) -> Response {
        Response::new(status)
            .header("Content-Type", "text/plain; charset=utf-8")
            .body(body.into())
    }

    /// Returns the response with one more header.
    pub fn header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// Returns the response with `body`.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Response {
        self.body = body.into();
        self
    }
}

/// What answers a route. Any `FnMut(&Request) -> Response + Send` is one.
pub trait Handler: Send + 'static {
    fn respond(&mut self, request: &Request) -> Response;
}

impl<F> Handler for F
where
    F: FnMut(&Request) -> Response + Send + 'static,
{
    fn respond(&mut self, request: &Request) -> Response {
        self(request)
    }
}

/// Returns a handler answering every request with `response`.
pub fn always(response: Response) -> impl Handler {
    move |_: &Request| response.clone()
}

/// Returns a handler answering with `responses` in turn, then repeating the
/// last one, as a service that changes its answer between polls does.
///
/// # Panics
/// When `responses` is empty.
pub fn sequence(responses: Vec<Response>) -> impl Handler {
    assert!(!responses.is_empty(), "a sequence needs at least one response");
    let mut next = 0;
    move |_: &Request| {
        let response = responses[next.min(responses.len() - 1)].clone();
        next += 1;
        response
    }
}

struct Route {
    method: String,
    pattern: Vec<String>,
    doc: String,
    handler: Box<dyn Handler>,
}

impl Route {
    /// Returns the `:name` values when `path` matches the route's pattern.
    fn matches(&self, method: &str, path: &str) -> Option<Vec<(String, String)>> {
        if !self.method.eq_ignore_ascii_case(method) {
            return None;
        }
        let segments = split_path(path);
        if segments.len() != self.pattern.len() {
            return None;
        }
        let mut params = Vec::new();
        for (want, got) in self.pattern.iter().zip(segments) {
            match want.strip_prefix(':') {
                Some(name) => params.push((name.to_string(), got.to_string())),
                None if want == got => {}
                None => return None,
            }
        }
        Some(params)
    }
}

fn split_path(path: &str) -> Vec<&str> {
    path.split('/').filter(|s| !s.is_empty()).collect()
}

/// A route as [`Server::routes`] lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteDoc {
    pub method: String,
    pub path: String,
    /// The documented endpoint the route stands for.
    pub doc: String,
}

/// Collects routes; [`ServerBuilder::start`] starts the server.
#[derive(Default)]
pub struct ServerBuilder {
    routes: Vec<Route>,
    docs: Vec<RouteDoc>,
    fallback: Option<(String, Box<dyn Handler>)>,
}

impl ServerBuilder {
    /// Adds a route: `method` and `path` (`:name` matches one segment),
    /// `doc` naming the documented endpoint it stands for, and its handler.
    /// The first matching route answers; a request no route matches gets 404.
    pub fn route(mut self, method: &str, path: &str, doc: &str, handler: impl Handler) -> ServerBuilder {
        self.docs.push(RouteDoc {
            method: method.to_string(),
            path: path.to_string(),
            doc: doc.to_string(),
        });
        self.routes.push(Route {
            method: method.to_string(),
            pattern: split_path(path).into_iter().map(str::to_string).collect(),
            doc: doc.to_string(),
            handler: Box::new(handler),
        });
        self
    }

    /// Answers every request no route matches with `handler` instead of 404:
    /// a fake proxy, which receives absolute-form targets
    /// (`GET http://host:port/path`, RFC 9112 §3.2.2), is one such server.
    pub fn fallback(mut self, doc: &str, handler: impl Handler) -> ServerBuilder {
        self.fallback = Some((doc.to_string(), Box::new(handler)));
        self
    }

    /// Binds a loopback port and starts answering on a thread of its own.
    pub fn start(self) -> std::io::Result<Server> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let requests = requests.clone();
            let stop = stop.clone();
            let mut routes = self.routes;
            let mut fallback = self.fallback.map(|(_, h)| h);
            std::thread::Builder::new()
                .name(format!("fake-http-{}", addr.port()))
                .spawn(move || {
                    for stream in listener.incoming() {
                        if stop.load(Ordering::SeqCst) {
                            break;
                        }
                        let Ok(stream) = stream else { continue };
                        // A client that hangs up early is its own problem.
                        let _ = serve_one(stream, &mut routes, fallback.as_deref_mut(), &requests);
                    }
                })?
        };
        Ok(Server {
            addr,
            requests,
            stop,
            thread: Some(thread),
            routes: self.docs,
        })
    }
}

/// A running fake HTTP server; dropping it stops the server.
pub struct Server {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    routes: Vec<RouteDoc>,
}

impl Server {
    /// Returns a builder without routes.
    pub fn builder() -> ServerBuilder {
        ServerBuilder::default()
    }

    /// Returns the base URL, `http://127.0.0.1:<port>`, without a trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Returns the URL of `path` (which starts with `/`) on this server.
    pub fn url_for(&self, path: &str) -> String {
        format!("{}{path}", self.url())
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Returns every request received so far, in order, answered or not.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Returns the routes with the documented endpoints they stand for.
    pub fn routes(&self) -> &[RouteDoc] {
        &self.routes
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        stop_accepting(self.addr, &self.stop, self.thread.take());
    }
}

/// Raises `stop` and joins the accept loop of the listener on `addr`.
fn stop_accepting(addr: SocketAddr, stop: &AtomicBool, thread: Option<JoinHandle<()>>) {
    stop.store(true, Ordering::SeqCst);
    // Wakes the accept loop so it sees the flag; if the connection fails
    // the loop is already gone.
    let woke = TcpStream::connect(addr).is_ok();
    if let Some(thread) = thread {
        if woke {
            let _ = thread.join();
        }
    }
}

fn serve_one(
    stream: TcpStream,
    routes: &mut [Route],
    fallback: Option<&mut dyn Handler>,
    requests: &Mutex<Vec<Request>>,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(READ_TIMEOUT))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line)? == 0 {
        return Ok(());
    }
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let target = parts.next().unwrap_or("/");
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_string(), Some(q.to_string())),
        None => (target.to_string(), None),
    };
    let mut headers = Vec::new();
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" || line == "\n" {
            break;
        }
        if let Some((name, value)) = line.trim_end().split_once(':') {
            let value = value.trim().to_string();
            if name.eq_ignore_ascii_case("content-length") {
                length = value.parse().unwrap_or(0);
            }
            headers.push((name.to_string(), value));
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let mut request = Request {
        method,
        path,
        query,
        headers,
        body,
        params: Vec::new(),
    };
    let route = routes
        .iter_mut()
        .find_map(|r| r.matches(&request.method, &request.path).map(|p| (r, p)));
    if let Some((_, params)) = &route {
        request.params = params.clone();
    }
    // Recorded before it is answered: a handler that stalls has still received it.
    requests.lock().unwrap_or_else(|p| p.into_inner()).push(request.clone());
    let response = match route {
        Some((route, _)) => route.handler.respond(&request),
        None if fallback.is_some() => fallback.expect("checked just above").respond(&request),
        None => {
            let known: Vec<String> = routes
                .iter()
                .map(|r| format!("{} ({})", r.pattern.join("/"), r.doc))
                .collect();
            Response::text(
                404,
                format!(
                    "no route for {} {}; routes: {}",
                    request.method,
                    request.path,
                    known.join(", ")
                ),
            )
        }
    };
    write_response(stream, &response)
}

fn write_response(mut stream: TcpStream, response: &Response) -> std::io::Result<()> {
    let mut head = format!("HTTP/1.1 {} {}\r\n", response.status, reason(response.status));
    for (name, value) in &response.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        response.body.len()
    ));
    stream.write_all(head.as_bytes())?;
    stream.write_all(&response.body)?;
    stream.flush()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// A server that accepts connections and never answers, holding each open
/// until it is dropped: a forge that hangs, for client timeouts.
pub struct Silent {
    addr: SocketAddr,
    accepted: Arc<Mutex<usize>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Silent {
    /// Binds a loopback port and starts holding connections on a thread of its own.
    pub fn start() -> std::io::Result<Silent> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let accepted = Arc::new(Mutex::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let accepted = accepted.clone();
            let stop = stop.clone();
            std::thread::Builder::new()
                .name(format!("silent-http-{}", addr.port()))
                .spawn(move || {
                    let mut held = Vec::new();
                    for stream in listener.incoming() {
                        if stop.load(Ordering::SeqCst) {
                            break;
                        }
                        if let Ok(stream) = stream {
                            held.push(stream);
                            *accepted.lock().unwrap_or_else(|p| p.into_inner()) += 1;
                        }
                    }
                })?
        };
        Ok(Silent {
            addr,
            accepted,
            stop,
            thread: Some(thread),
        })
    }

    /// Returns the base URL, `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Returns how many connections it has accepted (and holds).
    pub fn connections(&self) -> usize {
        *self.accepted.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for Silent {
    fn drop(&mut self) {
        stop_accepting(self.addr, &self.stop, self.thread.take());
    }
}

/// A minimal client, so the kit's tests need no HTTP library.
#[cfg(test)]
pub(crate) mod client {
    use std::io::{Read, Write};
    use std::net::TcpStream;

    /// A minimal client, so the kit's tests need no HTTP library.
    pub(crate) fn call(url: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, String) {
        let addr = url.trim_start_matches("http://");
        let mut stream = TcpStream::connect(addr).expect("connect");
        let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\n");
        for (n, v) in headers {
            req.push_str(&format!("{n}: {v}\r\n"));
        }
        req.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
        stream.write_all(req.as_bytes()).expect("send");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("read");
        let status = answer[9..12].parse().expect("status");
        let body = answer.split_once("\r\n\r\n").expect("head ends").1.to_string();
        (status, body)
    }
}

#[cfg(test)]
mod tests {
    use super::client::call;
    use super::*;

    #[test]
    fn routes_answer_with_params_and_every_request_is_recorded() {
        let server = Server::builder()
            .route(
                "GET",
                "/projects/:id/environments",
                "GET /projects/:id/environments (GitLab doc/api/environments.md)",
                |req: &Request| Response::json(200, format!("[\"{}\"]", req.param("id").unwrap_or("?"))),
            )
            .route("POST", "/hook", "a webhook receiver", always(Response::text(200, "ok")))
            .start()
            .expect("server starts");
        let url = server.url();
        assert_eq!(
            call(&url, "GET", "/projects/42/environments?per_page=5", &[], ""),
            (200, "[\"42\"]".into())
        );
        assert_eq!(
            call(&url, "POST", "/hook", &[("X-Token", "t")], "{\"text\":\"hi\"}"),
            (200, "ok".into())
        );
        let (status, body) = call(&url, "GET", "/nope", &[], "");
        assert_eq!(status, 404);
        assert!(
            body.contains("GET /nope") && body.contains("GitLab doc/api/environments.md"),
            "{body}"
        );

        let seen = server.requests();
        assert_eq!(seen.len(), 3);
        assert_eq!(
            (seen[0].method.as_str(), seen[0].path.as_str(), seen[0].query.as_deref()),
            ("GET", "/projects/42/environments", Some("per_page=5"))
        );
        assert_eq!(seen[0].param("id"), Some("42"));
        assert_eq!(seen[1].header("x-token"), Some("t"));
        assert_eq!(seen[1].text(), "{\"text\":\"hi\"}");
        assert_eq!(seen[2].path, "/nope");
        assert_eq!(server.routes()[1].doc, "a webhook receiver");
    }

    #[test]
    fn a_sequence_answers_in_turn_then_repeats_its_last_and_a_closure_reads_shared_state() {
        let shared = Arc::new(Mutex::new("one".to_string()));
        let read = shared.clone();
        let server = Server::builder()
            .route(
                "GET",
                "/status",
                "a service that changes its answer",
                sequence(vec![Response::text(503, "starting"), Response::text(200, "up")]),
            )
            .route("GET", "/value", "a value the test changes", move |_: &Request| {
                Response::text(200, read.lock().expect("lock").clone())
            })
            .start()
            .expect("server starts");
        let url = server.url();
        let statuses: Vec<u16> = (0..3).map(|_| call(&url, "GET", "/status", &[], "").0).collect();
        assert_eq!(statuses, [503, 200, 200]);
        assert_eq!(call(&url, "GET", "/value", &[], "").1, "one");
        *shared.lock().expect("lock") = "two".into();
        assert_eq!(call(&url, "GET", "/value", &[], "").1, "two");
    }

    #[test]
    fn a_fallback_answers_what_no_route_matches() {
        let server = Server::builder()
            .route("GET", "/known", "a known route", always(Response::text(200, "known")))
            .fallback("a forward proxy", |req: &Request| {
                Response::text(200, format!("proxied {}", req.path))
            })
            .start()
            .expect("server starts");
        let url = server.url();
        assert_eq!(call(&url, "GET", "/known", &[], "").1, "known");
        assert_eq!(
            call(&url, "GET", "http://forge.test:8080/api/v4/user", &[], "").1,
            "proxied http://forge.test:8080/api/v4/user"
        );
        assert_eq!(server.requests()[1].path, "http://forge.test:8080/api/v4/user");
    }

    #[test]
    fn a_silent_server_holds_connections_without_answering() {
        let silent = Silent::start().expect("starts");
        let mut stream = TcpStream::connect(silent.url().trim_start_matches("http://")).expect("connect");
        stream.write_all(b"GET / HTTP/1.1\r\n\r\n").expect("send");
        stream
            .set_read_timeout(Some(Duration::from_millis(200)))
            .expect("timeout");
        let mut buf = [0u8; 16];
        let read = stream.read(&mut buf);
        assert!(read.is_err(), "the silent server answered: {read:?}");
        assert_eq!(silent.connections(), 1);
    }

    #[test]
    fn dropping_the_server_closes_its_port() {
        // A body no other server of this test binary answers: tests run in
        // parallel, and another test's server may be given the freed port.
        let marker = format!("dropped-server-{}", std::process::id());
        let server = Server::builder()
            .route("GET", "/", "root", always(Response::text(200, marker.clone())))
            .start()
            .expect("server starts");
        let addr = server.addr();
        assert_eq!(call(&server.url(), "GET", "/", &[], "").1, marker);
        drop(server);
        if TcpStream::connect(addr).is_ok() {
            let (_, body) = call(&format!("http://{addr}"), "GET", "/", &[], "");
            assert_ne!(body, marker, "the dropped server still answers");
        }
    }
}
