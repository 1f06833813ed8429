//! Announces run events on a Slack-compatible incoming webhook
//! (`POST {"text": "..."}` with `Content-Type: application/json`).

use std::time::Duration;

/// Posts `text` to `webhook`; returns why it failed, if it did.
pub fn post(webhook: &str, text: &str) -> Result<(), String> {
    let body = serde_json::json!({ "text": text }).to_string();
    ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(10))
        .build()
        .post(webhook)
        .set("Content-Type", "application/json")
        .send_string(&body)
        .map(|_| ())
        .map_err(|e| match e {
            ureq::Error::Status(code, _) => format!("the webhook answered HTTP {code}"),
            ureq::Error::Transport(t) => format!("the webhook could not be reached: {t}"),
        })
}
