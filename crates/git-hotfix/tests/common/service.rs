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
    pub server: Server,
}

impl Service {
    /// Starts the service reporting `sha`.
    pub fn start(dir: &Path, sha: &str) -> Service {
        let sha_file = dir.join("deployed-sha");
        std::fs::write(&sha_file, sha).expect("write sha file");
        let file = sha_file.clone();
        let server = Server::builder()
            .route(
                "GET",
                "/version",
                "a production service's /version: the SHA the running build was made from",
                move |_: &Request| {
                    let sha = std::fs::read_to_string(&file).unwrap_or_default();
                    Response::json(
                        200,
                        serde_json::json!({ "sha": sha.trim(), "status": "ok" }).to_string(),
                    )
                },
            )
            .start()
            .expect("the fake production service starts");
        Service {
            url: server.url_for("/version"),
            sha_file,
            server,
        }
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
