//! The forge HTTP client against fake GitLab and GitHub servers: auth headers
//! as each forge documents them, retries and backoff (seen through an injected
//! clock, so nothing sleeps), timeouts, pagination, scope hints, the proxy,
//! and errors that never carry the token.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hotfix::config::{Forge as ForgeConfig, ForgeKind};
use hotfix::forge::{self, Auth, Call, Client, ClientOptions, Clock, ForgeError, Token};
use hotfix_testkit::http::{always, sequence, Request, Response, Server, Silent};

const GITLAB_TOKEN: &str = "glpat-S3CRET-forge-token";
const GITHUB_TOKEN: &str = "ghp_S3CRETforgetoken";

/// Sun, 06 Nov 1994 08:49:37 GMT, the example date of RFC 9110.
pub(crate) const NOW: u64 = 784_111_777;

/// A clock that records every sleep instead of sleeping.
#[derive(Default)]
pub(crate) struct RecordingClock {
    sleeps: Mutex<Vec<Duration>>,
}

impl RecordingClock {
    pub(crate) fn sleeps(&self) -> Vec<Duration> {
        self.sleeps.lock().expect("lock").clone()
    }
}

impl Clock for RecordingClock {
    fn now(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(NOW)
    }

    fn sleep(&self, duration: Duration) {
        self.sleeps.lock().expect("lock").push(duration);
    }
}

pub(crate) fn options() -> ClientOptions {
    ClientOptions {
        timeout: Duration::from_secs(5),
        max_attempts: 4,
        backoff: Duration::from_secs(1),
        backoff_cap: Duration::from_secs(3),
        retry_budget: Duration::from_secs(60),
        max_pages: 5,
        proxy: None,
    }
}

fn gitlab_client(server_url: &str, options: ClientOptions) -> (Client, Arc<RecordingClock>) {
    let clock = Arc::new(RecordingClock::default());
    let client = Client::new(
        &format!("{server_url}/api/v4"),
        Auth::GitLab(Token::new(GITLAB_TOKEN)),
        options,
        clock.clone(),
    )
    .expect("a loopback URL is a base");
    (client, clock)
}

fn github_client(server_url: &str) -> Client {
    Client::new(
        &format!("{server_url}/api/v3"),
        Auth::GitHub(Token::new(GITHUB_TOKEN)),
        options(),
        Arc::new(RecordingClock::default()),
    )
    .expect("a loopback URL is a base")
}

fn secs(list: &[u64]) -> Vec<Duration> {
    list.iter().map(|s| Duration::from_secs(*s)).collect()
}

/// GET /user as GitLab answers it (doc/api/users.md, "Get the current user"):
/// 401 `{"message":"401 Unauthorized"}` without a valid `PRIVATE-TOKEN`.
fn gitlab_user(req: &Request) -> Response {
    if req.header("private-token") != Some(GITLAB_TOKEN) {
        return Response::json(401, r#"{"message":"401 Unauthorized"}"#);
    }
    Response::json(
        200,
        r#"{"id":7,"username":"olly","name":"Olly Ops","state":"active","web_url":"https://gitlab.example.com/olly"}"#,
    )
}

#[test]
fn gitlab_whoami_and_project_send_private_token_and_encode_the_path() {
    let server = Server::builder()
        .route("GET", "/api/v4/user", "GET /user (GitLab doc/api/users.md, Get the current user)", gitlab_user)
        .route(
            "GET",
            "/api/v4/projects/:id",
            "GET /projects/:id (GitLab doc/api/projects.md, Get a single project)",
            |req: &Request| match req.param("id") {
                Some("fleet%2Fbilling") => Response::json(
                    200,
                    r#"{"id":42,"path_with_namespace":"fleet/billing","default_branch":"main","web_url":"https://gitlab.example.com/fleet/billing"}"#,
                ),
                _ => Response::json(404, r#"{"message":"404 Project Not Found"}"#),
            },
        )
        .start()
        .expect("server starts");
    let config = ForgeConfig {
        kind: ForgeKind::Gitlab,
        url: server.url(),
        project: "fleet/billing".into(),
        token_env: None,
        timeout: None,
    };
    config.check().expect("a loopback forge is accepted");
    let gitlab = forge::open(
        &config,
        Token::new(GITLAB_TOKEN),
        options(),
        Arc::new(RecordingClock::default()),
    )
    .expect("opens");
    assert_eq!(gitlab.kind(), ForgeKind::Gitlab);
    let me = gitlab.whoami().expect("the token is valid");
    assert_eq!((me.id, me.username.as_str()), (7, "olly"));
    let project = gitlab.project().expect("the project exists");
    assert_eq!((project.id, project.path.as_str()), (42, "fleet/billing"));
    assert_eq!(project.default_branch.as_deref(), Some("main"));

    let seen = server.requests();
    assert_eq!(seen[1].path, "/api/v4/projects/fleet%2Fbilling");
    for req in &seen {
        assert_eq!(req.header("private-token"), Some(GITLAB_TOKEN));
        assert_eq!(req.header("authorization"), None, "GitLab gets PRIVATE-TOKEN only");
        assert!(req.header("user-agent").is_some_and(|ua| ua.starts_with("git-hotfix/")));
    }

    let wrong = forge::open(
        &config,
        Token::new("glpat-wrong-token"),
        options(),
        Arc::new(RecordingClock::default()),
    )
    .expect("opens");
    let err = wrong.whoami().expect_err("401");
    assert_eq!(err.to_string(), "GET /user answered HTTP 401: 401 Unauthorized");
}

#[test]
fn github_whoami_and_repository_send_bearer_media_type_and_api_version() {
    // docs.github.com/rest/authentication and /rest/about-the-rest-api/api-versions.
    let documented = |req: &Request| {
        req.header("authorization") == Some(&format!("Bearer {GITHUB_TOKEN}"))
            && req.header("accept") == Some("application/vnd.github+json")
            && req.header("x-github-api-version") == Some("2022-11-28")
            && req.header("user-agent").is_some()
    };
    let server = Server::builder()
        .route(
            "GET",
            "/api/v3/user",
            "GET /user (GitHub REST users, Get the authenticated user)",
            move |req: &Request| {
                if !documented(req) {
                    return Response::json(
                        401,
                        r#"{"message":"Requires authentication","documentation_url":"https://docs.github.com/rest/users/users#get-the-authenticated-user"}"#,
                    );
                }
                Response::json(200, r#"{"login":"octo-ops","id":99,"name":null,"html_url":"https://github.com/octo-ops"}"#)
            },
        )
        .route(
            "GET",
            "/api/v3/repos/:owner/:repo",
            "GET /repos/{owner}/{repo} (GitHub REST repos, Get a repository)",
            move |req: &Request| {
                if !documented(req) {
                    return Response::json(401, r#"{"message":"Requires authentication"}"#);
                }
                Response::json(
                    200,
                    format!(
                        r#"{{"id":1296269,"full_name":"{}/{}","default_branch":"main","html_url":"https://github.com/acme/billing"}}"#,
                        req.param("owner").unwrap_or_default(),
                        req.param("repo").unwrap_or_default()
                    ),
                )
            },
        )
        .start()
        .expect("server starts");
    let config = ForgeConfig {
        kind: ForgeKind::Github,
        url: server.url(),
        project: "acme/billing".into(),
        token_env: None,
        timeout: None,
    };
    assert_eq!(config.api_url(), format!("{}/api/v3", server.url()));
    let github = forge::open(
        &config,
        Token::new(GITHUB_TOKEN),
        options(),
        Arc::new(RecordingClock::default()),
    )
    .expect("opens");
    let me = github.whoami().expect("authenticated");
    assert_eq!((me.id, me.username.as_str(), me.name), (99, "octo-ops", None));
    let repo = github.project().expect("the repository exists");
    assert_eq!((repo.id, repo.path.as_str()), (1_296_269, "acme/billing"));
    assert!(server.requests().iter().all(|r| r.header("private-token").is_none()));
}

#[test]
fn a_429_with_retry_after_waits_what_the_forge_asks() {
    let server = Server::builder()
        .route(
            "GET",
            "/api/v4/user",
            "GET /user (GitLab doc/api/users.md), rate limited (doc/security/rate_limits.md)",
            sequence(vec![
                Response::json(429, r#"{"message":"429 Too Many Requests"}"#).header("Retry-After", "7"),
                Response::json(429, "{}").header("Retry-After", "Sun, 06 Nov 1994 08:50:07 GMT"),
                Response::json(200, r#"{"id":7,"username":"olly"}"#),
            ]),
        )
        .start()
        .expect("server starts");
    let (client, clock) = gitlab_client(&server.url(), options());
    let reply = client.send(&Call::get("/user")).expect("the third answer is 200");
    assert_eq!((reply.status, reply.attempts), (200, 3));
    assert_eq!(
        clock.sleeps(),
        secs(&[7, 30]),
        "seconds, then an HTTP date 30 s after now"
    );
}

#[test]
fn a_429_without_retry_after_backs_off_on_its_own_up_to_the_cap() {
    let server = Server::builder()
        .route(
            "GET",
            "/api/v4/user",
            "GET /user (GitLab doc/api/users.md), rate limited without Retry-After",
            sequence(vec![
                Response::json(429, "{}"),
                Response::json(429, "{}"),
                Response::json(429, "{}"),
                Response::json(200, r#"{"id":7,"username":"olly"}"#),
            ]),
        )
        .start()
        .expect("server starts");
    let (client, clock) = gitlab_client(&server.url(), options());
    client.send(&Call::get("/user")).expect("the fourth answer is 200");
    assert_eq!(clock.sleeps(), secs(&[1, 2, 3]), "doubling from 1 s, capped at 3 s");
}

#[test]
fn retries_stop_at_the_attempt_limit_and_the_budget() {
    let server = Server::builder()
        .route(
            "GET",
            "/api/v4/user",
            "GET /user, always 503",
            always(Response::text(503, "maintenance")),
        )
        .route(
            "GET",
            "/api/v4/projects/:id",
            "GET /projects/:id, rate limited for an hour",
            always(Response::json(429, "{}").header("Retry-After", "3600")),
        )
        .start()
        .expect("server starts");
    let (client, clock) = gitlab_client(&server.url(), options());
    let err = client.send(&Call::get("/user")).expect_err("never up");
    assert_eq!(
        err.to_string(),
        "GET /user answered HTTP 503: maintenance (after 4 attempts)"
    );
    assert!(err.is_spurious());
    assert_eq!(clock.sleeps(), secs(&[1, 2, 3]));

    let (client, clock) = gitlab_client(&server.url(), options());
    let err = client
        .send(&Call::get("/projects/42"))
        .expect_err("an hour is past the budget");
    assert_eq!(err.status(), Some(429));
    assert!(clock.sleeps().is_empty(), "no wait beyond the retry budget");
    assert_eq!(server.requests().len(), 5);
}

#[test]
fn a_502_then_success_is_retried_for_a_get() {
    let server = Server::builder()
        .route(
            "GET",
            "/api/v4/projects/:id",
            "GET /projects/:id (GitLab doc/api/projects.md) behind a proxy that drops once",
            sequence(vec![
                Response::text(502, "<html>502 Bad Gateway</html>"),
                Response::json(
                    200,
                    r#"{"id":42,"path_with_namespace":"fleet/billing","web_url":"https://g/fleet/billing"}"#,
                ),
            ]),
        )
        .start()
        .expect("server starts");
    let (client, clock) = gitlab_client(&server.url(), options());
    let reply = client
        .send(&Call::get("/projects/42"))
        .expect("the second answer is 200");
    assert_eq!(reply.attempts, 2);
    assert_eq!(clock.sleeps(), secs(&[1]));
}

#[test]
fn a_post_is_retried_on_502_only_when_marked_idempotent() {
    let answers = || {
        sequence(vec![
            Response::text(502, "bad gateway"),
            Response::json(201, r#"{"id":1001,"status":"created"}"#),
        ])
    };
    let server = Server::builder()
        .route(
            "POST",
            "/api/v4/projects/:id/pipeline",
            "POST /projects/:id/pipeline (GitLab doc/api/pipelines.md, Create a new pipeline)",
            answers(),
        )
        .route(
            "POST",
            "/api/v4/projects/:id/statuses/:sha",
            "POST /projects/:id/statuses/:sha (GitLab doc/api/commits.md, set the pipeline status of a commit)",
            answers(),
        )
        .start()
        .expect("server starts");
    let (client, clock) = gitlab_client(&server.url(), options());
    let body = serde_json::json!({"ref": "release", "inputs": {"confirm": true}});
    let err = client
        .send(&Call::post("/projects/42/pipeline", body.clone()))
        .expect_err("a 502 may have created the pipeline");
    assert_eq!(err.status(), Some(502));
    assert!(clock.sleeps().is_empty());
    let created = server.requests();
    assert_eq!(created.len(), 1, "a second pipeline would deploy twice");
    assert_eq!(created[0].header("content-type"), Some("application/json"));
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&created[0].body).expect("JSON"),
        body
    );

    let reply = client
        .send(&Call::post("/projects/42/statuses/abc", serde_json::json!({"state": "success"})).idempotent())
        .expect("setting a status again changes nothing");
    assert_eq!((reply.status, reply.attempts), (201, 2));
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn a_forge_that_never_answers_times_out_within_the_attempt_limit() {
    let silent = Silent::start().expect("starts");
    let (client, clock) = gitlab_client(
        &silent.url(),
        ClientOptions {
            timeout: Duration::from_millis(300),
            max_attempts: 2,
            ..options()
        },
    );
    let err = client.send(&Call::get("/user")).expect_err("no answer");
    match &err {
        ForgeError::Transport {
            timed_out, attempts, ..
        } => assert_eq!((*timed_out, *attempts), (true, 2), "{err}"),
        other => panic!("not a transport error: {other:?}"),
    }
    assert!(err.to_string().starts_with("GET /user timed out"), "{err}");
    assert_eq!(clock.sleeps(), secs(&[1]));
    assert_eq!(silent.connections(), 2);
}

/// Serves `/api/v4/projects/:id/jobs` in three pages of two, linking the next
/// page as `link` says, with absolute URLs on the server's own origin.
fn paged(link: fn(&str, u32) -> (&'static str, String)) -> impl FnMut(&Request) -> Response + Send {
    move |req: &Request| {
        let page: u32 = req
            .query
            .as_deref()
            .unwrap_or_default()
            .split('&')
            .find_map(|p| p.strip_prefix("page="))
            .and_then(|p| p.parse().ok())
            .unwrap_or(1);
        let items = format!("[{{\"id\":{}}},{{\"id\":{}}}]", page * 10 + 1, page * 10 + 2);
        let mut response = Response::json(200, items);
        if page < 3 {
            let host = req.header("host").unwrap_or_default().to_string();
            let (name, value) = link(&host, page + 1);
            response = response.header(name, &value);
        }
        response
    }
}

#[derive(serde::Deserialize, Debug, PartialEq)]
struct Job {
    id: u64,
}

#[test]
fn pagination_follows_link_headers_and_x_next_page() {
    let server = Server::builder()
        .route(
            "GET",
            "/api/v4/projects/:id/jobs",
            "GET /projects/:id/jobs (GitLab doc/api/jobs.md), keyset-style Link pagination (doc/api/rest/_index.md)",
            paged(|host, next| {
                (
                    "Link",
                    format!(
                        "<http://{host}/api/v4/projects/42/jobs?per_page=2&page={next}>; rel=\"next\", <http://{host}/api/v4/projects/42/jobs?per_page=2&page=1>; rel=\"first\""
                    ),
                )
            }),
        )
        .route(
            "GET",
            "/api/v4/projects/:id/pipelines",
            "GET /projects/:id/pipelines (GitLab doc/api/pipelines.md), offset pagination by X-Next-Page",
            paged(|_, next| ("X-Next-Page", next.to_string())),
        )
        .start()
        .expect("server starts");
    let (client, _) = gitlab_client(&server.url(), options());
    let want: Vec<Job> = [11, 12, 21, 22, 31, 32].into_iter().map(|id| Job { id }).collect();
    let by_link: Vec<Job> = client.get_pages("/projects/42/jobs?per_page=2").expect("three pages");
    assert_eq!(by_link, want);
    let by_header: Vec<Job> = client
        .get_pages("/projects/42/pipelines?per_page=2")
        .expect("three pages");
    assert_eq!(by_header, want);
    let queries: Vec<Option<String>> = server.requests().iter().skip(3).map(|r| r.query.clone()).collect();
    assert_eq!(
        queries,
        [
            Some("per_page=2".into()),
            Some("per_page=2&page=2".into()),
            Some("per_page=2&page=3".into())
        ]
    );

    let (capped, _) = gitlab_client(
        &server.url(),
        ClientOptions {
            max_pages: 2,
            ..options()
        },
    );
    let err = capped
        .get_pages::<Job>("/projects/42/jobs?per_page=2")
        .expect_err("three pages, cap two");
    assert!(matches!(err, ForgeError::TooManyPages { pages: 2, .. }), "{err}");
}

#[test]
fn a_next_page_on_another_origin_is_not_followed_with_the_token() {
    let elsewhere = Server::builder()
        .route(
            "GET",
            "/steal",
            "a host that is not the forge",
            always(Response::json(200, "[]")),
        )
        .start()
        .expect("server starts");
    let target = elsewhere.url_for("/steal");
    let server = Server::builder()
        .route(
            "GET",
            "/api/v4/projects",
            "GET /projects (GitLab doc/api/projects.md), a Link to another host",
            move |_: &Request| Response::json(200, "[]").header("Link", &format!("<{target}>; rel=\"next\"")),
        )
        .start()
        .expect("server starts");
    let (client, _) = gitlab_client(&server.url(), options());
    let err = client.get_pages::<Job>("/projects").expect_err("foreign link");
    assert!(matches!(err, ForgeError::ForeignLink { .. }), "{err}");
    assert!(elsewhere.requests().is_empty());
}

#[test]
fn a_403_names_the_scope_the_token_lacks() {
    let server = Server::builder()
        .route(
            "POST",
            "/api/v4/projects/:id/pipeline",
            "POST /projects/:id/pipeline (GitLab doc/api/pipelines.md) with a read_api token",
            always(
                Response::json(
                    403,
                    r#"{"error":"insufficient_scope","error_description":"The request requires higher privileges than provided by the access token.","scope":"api"}"#,
                )
                .header(
                    "WWW-Authenticate",
                    r#"Bearer realm="", error="insufficient_scope", error_description="The request requires higher privileges than provided by the access token.", scope="api""#,
                ),
            ),
        )
        .route(
            "POST",
            "/api/v3/repos/:owner/:repo/actions/workflows/:workflow/dispatches",
            "POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches (GitHub REST actions/workflows) without the workflow scope",
            always(
                Response::json(
                    403,
                    r#"{"message":"Resource not accessible by personal access token","documentation_url":"https://docs.github.com/rest/actions/workflows#create-a-workflow-dispatch-event","status":"403"}"#,
                )
                .header("X-Accepted-OAuth-Scopes", "repo, workflow")
                .header("X-OAuth-Scopes", "read:user"),
            ),
        )
        .start()
        .expect("server starts");
    let (gitlab, _) = gitlab_client(&server.url(), options());
    let err = gitlab
        .send(&Call::post(
            "/projects/fleet%2Fbilling/pipeline",
            serde_json::json!({"ref": "release"}),
        ))
        .expect_err("403");
    assert_eq!(
        err.to_string(),
        "POST /projects/fleet%2Fbilling/pipeline answered HTTP 403: insufficient_scope: The request requires higher privileges than provided by the access token. (the token needs scope `api`)"
    );
    let github = github_client(&server.url());
    let err = github
        .send(&Call::post(
            "/repos/acme/billing/actions/workflows/release.yml/dispatches",
            serde_json::json!({"ref": "main"}),
        ))
        .expect_err("403");
    assert_eq!(
        err.to_string(),
        "POST /repos/acme/billing/actions/workflows/release.yml/dispatches answered HTTP 403: Resource not accessible by personal access token (the token needs scope `repo, workflow`; it has `read:user`) (see https://docs.github.com/rest/actions/workflows#create-a-workflow-dispatch-event)"
    );
}

#[test]
fn the_token_never_reaches_an_error_and_forge_text_is_escaped() {
    let echo = format!("{{\"message\":\"401 Unauthorized: token {GITLAB_TOKEN} is revoked\\u001b[2J\"}}");
    let server = Server::builder()
        .route(
            "GET",
            "/api/v4/user",
            "GET /user (GitLab doc/api/users.md), a proxy that echoes the token",
            always(Response::json(401, echo).header(
                "WWW-Authenticate",
                &format!("Bearer error=\"invalid_token\", token=\"{GITLAB_TOKEN}\""),
            )),
        )
        .route(
            "GET",
            "/api/v4/projects/:id",
            "GET /projects/:id (GitLab doc/api/projects.md), a body that is not JSON",
            always(Response::json(200, format!("not json {GITLAB_TOKEN}"))),
        )
        .start()
        .expect("server starts");
    let (client, _) = gitlab_client(&server.url(), options());
    let errors = [
        client
            .send(&Call::get(format!("/user?private_token={GITLAB_TOKEN}")))
            .expect_err("401"),
        client.get_json::<Job>("/projects/42").expect_err("not JSON"),
    ];
    for err in &errors {
        let (display, debug) = (err.to_string(), format!("{err:?}"));
        assert!(
            !display.contains(GITLAB_TOKEN) && !debug.contains(GITLAB_TOKEN),
            "{display}\n{debug}"
        );
        assert!(!display.contains('\u{1b}') && !debug.contains('\u{1b}'), "{display:?}");
        assert!(
            !display.contains("private_token"),
            "the query is never shown: {display}"
        );
    }
    assert_eq!(
        errors[0].to_string(),
        "GET /user answered HTTP 401: 401 Unauthorized: token [redacted token] is revoked\\u{1b}[2J"
    );
    assert!(!format!("{client:?}").contains(GITLAB_TOKEN));
}

#[test]
fn a_redirect_is_not_followed_with_the_token() {
    let elsewhere = Server::builder()
        .route(
            "GET",
            "/moved",
            "a host that is not the forge",
            always(Response::json(200, "{}")),
        )
        .start()
        .expect("server starts");
    let target = elsewhere.url_for("/moved");
    let server = Server::builder()
        .route(
            "GET",
            "/api/v3/repos/:owner/:repo",
            "GET /repos/{owner}/{repo} (GitHub REST repos, Get a repository): 301 for a renamed repository",
            always(Response::json(301, r#"{"message":"Moved Permanently"}"#).header("Location", &target)),
        )
        .start()
        .expect("server starts");
    let github = github_client(&server.url());
    let err = github.send(&Call::get("/repos/acme/old-name")).expect_err("301");
    assert_eq!(err.status(), Some(301));
    assert!(err.to_string().contains(&format!("moved to {target}")), "{err}");
    assert!(elsewhere.requests().is_empty());
}

#[test]
fn the_proxy_from_the_environment_receives_the_absolute_form_request() {
    let proxy = Server::builder()
        .fallback(
            "an HTTP forward proxy (RFC 9112 §3.2.2 absolute-form) in front of GitLab GET /user",
            |req: &Request| {
                if req.path == "http://gitlab.forge.invalid/api/v4/user" {
                    Response::json(200, r#"{"id":7,"username":"olly"}"#)
                } else {
                    Response::text(502, format!("the proxy cannot reach {}", req.path))
                }
            },
        )
        .start()
        .expect("server starts");
    let base = "http://gitlab.forge.invalid/api/v4";
    let proxy_url = proxy.url();
    let vars = move |name: &str| (name == "http_proxy").then(|| proxy_url.clone());
    let chosen = forge::client::proxy_from_env(base, &vars);
    assert_eq!(chosen.as_deref(), Some(proxy.url().as_str()));
    let clock = Arc::new(RecordingClock::default());
    let client = Client::new(
        base,
        Auth::GitLab(Token::new(GITLAB_TOKEN)),
        ClientOptions {
            proxy: chosen,
            ..options()
        },
        clock,
    )
    .expect("client");
    let reply = client.send(&Call::get("/user")).expect("through the proxy");
    assert_eq!(reply.status, 200);
    let seen = proxy.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].header("host"), Some("gitlab.forge.invalid"));
}

/// Inside a GitLab CI job without `GITLAB_TOKEN`, the job's own
/// `CI_JOB_TOKEN` is sent as `JOB-TOKEN` (never as `PRIVATE-TOKEN`), masked
/// like any token; an endpoint that refuses it says which variable to set.
#[test]
fn a_gitlab_ci_job_uses_its_own_job_token_and_a_refusal_names_the_variable_to_set() {
    const JOB: &str = "glcbt-64_job-token-value";
    let server = Server::builder()
        .route("GET", "/api/v4/projects/:id", "GET /projects/:id (GitLab doc/api/projects.md)", |req: &Request| {
            match req.header("job-token") {
                Some(_) => Response::json(
                    200,
                    r#"{"id":42,"path_with_namespace":"fleet/billing","default_branch":"main","web_url":"https://gitlab.example.com/fleet/billing"}"#,
                ),
                None => Response::json(401, r#"{"message":"401 Unauthorized"}"#),
            }
        })
        .route("GET", "/api/v4/user", "GET /user (GitLab doc/api/users.md): refuses job tokens", |_: &Request| {
            Response::json(403, r#"{"message":"403 Forbidden"}"#)
        })
        .start()
        .expect("server starts");
    let config = ForgeConfig {
        kind: ForgeKind::Gitlab,
        url: server.url(),
        project: "fleet/billing".into(),
        token_env: None,
        timeout: None,
    };
    let mut redactor = hotfix::secrets::Redactor::default();
    let env = |name: &str| match name {
        "GITLAB_CI" => Some("true".to_string()),
        "CI_JOB_TOKEN" => Some(JOB.to_string()),
        _ => None,
    };
    let (token, source) =
        forge::resolve_token(&config, &env, std::path::Path::new("."), &mut redactor).expect("the job's token");
    assert_eq!(source, forge::TokenSource::JobToken);
    assert!(token.is_job_token());
    assert_eq!(redactor.redact(&format!("x {JOB} y")), "x [redacted CI_JOB_TOKEN] y");

    // Outside a GitLab job, CI_JOB_TOKEN alone is not taken.
    let not_a_job = |name: &str| (name == "CI_JOB_TOKEN").then(|| JOB.to_string());
    let outside = forge::resolve_token(&config, &not_a_job, std::path::Path::new("/nonexistent"), &mut redactor);
    assert!(!matches!(outside, Ok((_, forge::TokenSource::JobToken))));

    let gitlab = forge::open(&config, token, options(), Arc::new(RecordingClock::default())).expect("opens");
    let project = gitlab.project().expect("the project accepts the job token");
    assert_eq!(project.id, 42);
    let refused = gitlab.whoami().expect_err("/user refuses job tokens").to_string();
    assert!(refused.contains("HTTP 403"), "{refused}");
    assert!(
        refused.contains(
            "CI_JOB_TOKEN is not accepted here: set the variable `[forge] token_env` names (default GITLAB_TOKEN)"
        ),
        "{refused}"
    );
    assert!(!refused.contains(JOB), "{refused}");
    for req in server.requests() {
        assert_eq!(req.header("job-token"), Some(JOB));
        assert_eq!(req.header("private-token"), None);
    }
}
