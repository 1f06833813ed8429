//! A production service for tests, answering `GET /version` with
//! `{"sha": "..."}` read from a file on every request, so a deploy command
//! switches it by writing the file; and a webhook receiver keeping every JSON
//! body posted to it, as a Slack incoming webhook would. Both are the test
//! kit's fake HTTP server and answer until dropped.

use std::path::{Path, PathBuf};

use hotfix_testkit::http::{self, Request, Response, Server};

/// The service: its URL and the file holding the SHA it reports.
pub struct Service {
    pub url: String,
    pub sha_file: PathBuf,
    /// How many times `/version` has answered, written after each answer
    /// is made: a deploy can wait until production was polled once more.
    pub polls_file: PathBuf,
    pub server: Server,
}

impl Service {
    /// Starts the service reporting `sha`.
    pub fn start(dir: &Path, sha: &str) -> Service {
        let sha_file = dir.join("deployed-sha");
        std::fs::write(&sha_file, sha).expect("write sha file");
        let polls_file = dir.join("polls");
        let file = sha_file.clone();
        let polls = polls_file.clone();
        let count = std::sync::atomic::AtomicUsize::new(0);
        let server = Server::builder()
            .route(
                "GET",
                "/version",
                "a production service's /version: the SHA the running build was made from",
                move |_: &Request| {
                    let sha = std::fs::read_to_string(&file).unwrap_or_default();
                    let answer = Response::json(
                        200,
                        serde_json::json!({ "sha": sha.trim(), "status": "ok" }).to_string(),
                    );
                    // Counted once the SHA was read: a switch that waits for
                    // the count to grow cannot reach the poll that counted.
                    let n = count.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                    let _ = std::fs::write(&polls, n.to_string());
                    answer
                },
            )
            .start()
            .expect("the fake production service starts");
        Service {
            url: server.url_for("/version"),
            sha_file,
            polls_file,
            server,
        }
    }

    /// Asks `/version` once, as a verification would (and counts as a poll).
    pub fn poll(&self) {
        use std::io::{Read, Write};
        let authority = self
            .url
            .trim_start_matches("http://")
            .split('/')
            .next()
            .expect("the URL has a host")
            .to_string();
        let mut stream = std::net::TcpStream::connect(&authority).expect("the service answers");
        let request = format!("GET /version HTTP/1.0\r\nHost: {authority}\r\n\r\n");
        stream.write_all(request.as_bytes()).expect("send the request");
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
    }

    /// Returns once the service reports `sha` (polling it, at most 10 s).
    #[track_caller]
    pub fn wait_for(&self, sha: &str) {
        for _ in 0..200 {
            self.poll();
            if self.reported() == sha {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        assert_eq!(self.reported(), sha, "the service never switched");
    }

    pub fn reported(&self) -> String {
        std::fs::read_to_string(&self.sha_file)
            .expect("sha file")
            .trim()
            .to_string()
    }
}

/// A webhook receiver; its URL is the server's root.
pub struct Webhook {
    pub server: Server,
}

impl Webhook {
    /// Returns the bodies posted so far, in order.
    pub fn bodies(&self) -> Vec<String> {
        self.server
            .requests()
            .iter()
            .filter(|r| r.method == "POST")
            .map(Request::text)
            .collect()
    }
}

/// Starts a webhook receiver; returns its URL and the receiver.
pub fn webhook() -> (String, Webhook) {
    let server = Server::builder()
        .route(
            "POST",
            "/",
            "an incoming webhook (Slack's incoming webhooks: POST a JSON body, answered `ok`)",
            http::always(Response::text(200, "ok")),
        )
        .start()
        .expect("the fake webhook starts");
    (server.url(), Webhook { server })
}
