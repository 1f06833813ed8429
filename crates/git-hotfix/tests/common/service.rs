//! A production service for tests: a local HTTP server answering
//! `GET /version` with `{"sha": "..."}` read from a file on every request, so
//! a deploy command switches it by writing the file; and a webhook receiver
//! keeping every JSON body posted to it, as a Slack incoming webhook would.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The service: its URL and the file holding the SHA it reports.
pub struct Service {
    pub url: String,
    pub sha_file: PathBuf,
}

impl Service {
    /// Starts the service reporting `sha`.
    pub fn start(dir: &Path, sha: &str) -> Service {
        let sha_file = dir.join("deployed-sha");
        std::fs::write(&sha_file, sha).expect("write sha file");
        let file = sha_file.clone();
        let url = listen(move |_, _| {
            let sha = std::fs::read_to_string(&file).unwrap_or_default();
            (
                200,
                serde_json::json!({ "sha": sha.trim(), "status": "ok" }).to_string(),
            )
        });
        Service {
            url: format!("{url}/version"),
            sha_file,
        }
    }

    pub fn reported(&self) -> String {
        std::fs::read_to_string(&self.sha_file)
            .expect("sha file")
            .trim()
            .to_string()
    }
}

/// Starts a webhook receiver; returns its URL and the bodies posted so far.
pub fn webhook() -> (String, Arc<Mutex<Vec<String>>>) {
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let kept = bodies.clone();
    let url = listen(move |request_line, body| {
        if request_line.starts_with("POST") {
            kept.lock().expect("lock").push(body.to_string());
        }
        (200, "ok".to_string())
    });
    (url, bodies)
}

/// Serves HTTP/1.1 on a loopback port until the test process ends.
fn listen(answer: impl Fn(&str, &str) -> (u16, String) + Send + 'static) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let _ = handle(stream, &answer);
        }
    });
    format!("http://{addr}")
}

fn handle(mut stream: TcpStream, answer: &impl Fn(&str, &str) -> (u16, String)) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let (status, text) = answer(&request_line, &String::from_utf8_lossy(&body));
    write!(
        stream,
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    )
}
