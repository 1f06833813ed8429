//! The subset of GitHub's official OpenAPI description (`@octokit/openapi`)
//! that git-hotfix uses, `openapi/github-subset.json`, written by
//! `scripts/github-openapi-subset.py`; and the checks made with it: every
//! route of the fake GitHub is a described operation, and every request the
//! client sends names a described path, query parameters and body fields,
//! with the required ones.

use serde::Deserialize;
use std::collections::BTreeMap;

use crate::http::{Request, RouteDoc};

/// The committed subset.
pub const GITHUB_SUBSET: &str = include_str!("../openapi/github-subset.json");

#[derive(Debug, Deserialize)]
pub struct Subset {
    pub source: Source,
    pub operations: Vec<Operation>,
}

#[derive(Debug, Deserialize)]
pub struct Source {
    pub package: String,
    pub version: String,
}

#[derive(Debug, Deserialize)]
pub struct Operation {
    pub method: String,
    /// The path template, `/repos/{owner}/{repo}`.
    pub path: String,
    #[serde(rename = "operationId")]
    pub operation_id: Option<String>,
    /// Its docs.github.com page.
    pub docs: Option<String>,
    pub parameters: Parameters,
    #[serde(rename = "requestBody")]
    pub request_body: Option<RequestBody>,
    pub responses: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Deserialize)]
pub struct Parameters {
    pub path: Vec<Parameter>,
    pub query: Vec<Parameter>,
}

#[derive(Debug, Deserialize)]
pub struct Parameter {
    pub name: String,
    pub required: bool,
}

#[derive(Debug, Deserialize)]
pub struct RequestBody {
    pub required: bool,
    /// The JSON objects a body may be (more than one for a `oneOf`).
    pub alternatives: Vec<BodySchema>,
}

#[derive(Debug, Deserialize)]
pub struct BodySchema {
    pub properties: BTreeMap<String, serde_json::Value>,
    #[serde(rename = "requiredProperties")]
    pub required: Vec<String>,
    #[serde(rename = "additionalProperties")]
    pub additional_properties: bool,
}

impl Subset {
    /// Returns the committed GitHub subset.
    ///
    /// # Panics
    /// When the committed file is not what the script writes.
    pub fn github() -> Subset {
        serde_json::from_str(GITHUB_SUBSET)
            .expect("openapi/github-subset.json is what scripts/github-openapi-subset.py writes")
    }

    /// Returns the operation `method` `path` (a concrete path, without the
    /// API base) is an instance of.
    pub fn operation(&self, method: &str, path: &str) -> Option<&Operation> {
        self.operations
            .iter()
            .find(|op| op.method.eq_ignore_ascii_case(method) && template_matches(&op.path, path))
    }

    /// Returns what is wrong with a route of a fake (its pattern with `:name`
    /// segments, under `prefix`), or `None` when it is a described operation.
    pub fn route_violation(&self, route: &RouteDoc, prefix: &str) -> Option<String> {
        let Some(path) = route.path.strip_prefix(prefix) else {
            return Some(format!(
                "route {} {} is not under the API base {prefix}",
                route.method, route.path
            ));
        };
        let described = self
            .operations
            .iter()
            .any(|op| op.method.eq_ignore_ascii_case(&route.method) && same_shape(&op.path, path));
        (!described).then(|| {
            format!(
                "route {} {} ({}) is not an operation of {} {}",
                route.method, route.path, route.doc, self.source.package, self.source.version
            )
        })
    }

    /// Returns what is wrong with a request sent to the API under `prefix`:
    /// a path no operation describes, a query parameter or body field the
    /// operation does not have, a required one missing. Empty when it is right.
    pub fn request_violations(&self, request: &Request, prefix: &str) -> Vec<String> {
        let name = format!("{} {}", request.method, request.path);
        let Some(path) = request.path.strip_prefix(prefix) else {
            return vec![format!("{name} is not under the API base {prefix}")];
        };
        let Some(op) = self.operation(&request.method, path) else {
            return vec![format!(
                "{name} is not an operation of {} {}",
                self.source.package, self.source.version
            )];
        };
        let mut wrong = Vec::new();
        for pair in request
            .query
            .as_deref()
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty())
        {
            let key = pair.split('=').next().unwrap_or(pair);
            if !op.parameters.query.iter().any(|q| q.name == key) {
                wrong.push(format!(
                    "{name}: query parameter `{key}` is not one of {} {}",
                    op.method, op.path
                ));
            }
        }
        for q in op.parameters.query.iter().filter(|q| q.required) {
            if !request
                .query
                .as_deref()
                .unwrap_or("")
                .split('&')
                .any(|p| p.split('=').next() == Some(q.name.as_str()))
            {
                wrong.push(format!("{name}: the required query parameter `{}` is missing", q.name));
            }
        }
        wrong.extend(
            body_violations(op, &request.body)
                .into_iter()
                .map(|w| format!("{name}: {w}")),
        );
        wrong
    }
}

/// Returns what is wrong with `body` for `op`'s request schema.
pub fn body_violations(op: &Operation, body: &[u8]) -> Vec<String> {
    let Some(schema) = &op.request_body else {
        return if body.is_empty() {
            Vec::new()
        } else {
            vec![format!("{} {} takes no body", op.method, op.path)]
        };
    };
    if body.is_empty() {
        return if schema.required {
            vec!["the request body is required".to_string()]
        } else {
            Vec::new()
        };
    }
    let Ok(serde_json::Value::Object(fields)) = serde_json::from_slice::<serde_json::Value>(body) else {
        return vec!["the body is not a JSON object".to_string()];
    };
    // The body must fit one alternative; the first one's faults are told.
    let mut first = None;
    for alternative in &schema.alternatives {
        let mut wrong = Vec::new();
        for key in fields.keys() {
            if !alternative.properties.contains_key(key) {
                wrong.push(format!(
                    "body field `{key}` is not in the request schema of {} {}",
                    op.method, op.path
                ));
            }
        }
        for key in &alternative.required {
            if !fields.contains_key(key) {
                wrong.push(format!("the required body field `{key}` is missing"));
            }
        }
        if wrong.is_empty() {
            return wrong;
        }
        first.get_or_insert(wrong);
    }
    first.unwrap_or_default()
}

/// True when `path` is an instance of `template` (`{name}` matches one segment).
fn template_matches(template: &str, path: &str) -> bool {
    let t: Vec<&str> = template.split('/').filter(|s| !s.is_empty()).collect();
    let p: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(t, p)| (t.starts_with('{') && t.ends_with('}') && !p.is_empty()) || t == p)
}

/// True when a route pattern (`:name` segments) and a template (`{name}`) name the same path.
fn same_shape(template: &str, pattern: &str) -> bool {
    let t: Vec<&str> = template.split('/').filter(|s| !s.is_empty()).collect();
    let p: Vec<&str> = pattern.split('/').filter(|s| !s.is_empty()).collect();
    t.len() == p.len()
        && t.iter().zip(&p).all(|(t, p)| {
            let t_param = t.starts_with('{') && t.ends_with('}');
            let p_param = p.starts_with(':');
            (t_param && p_param) || (!t_param && !p_param && t == p)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_subset_names_its_package_and_version_and_every_operation_its_docs() {
        let subset = Subset::github();
        assert_eq!(subset.source.package, "@octokit/openapi");
        assert!(!subset.source.version.is_empty());
        for op in &subset.operations {
            assert!(
                op.docs
                    .as_deref()
                    .is_some_and(|d| d.starts_with("https://docs.github.com/")),
                "{} {}",
                op.method,
                op.path
            );
        }
    }

    #[test]
    fn paths_fields_and_routes_are_checked_against_the_subset() {
        let subset = Subset::github();
        let request = |method: &str, path: &str, query: Option<&str>, body: &str| Request {
            method: method.into(),
            path: path.into(),
            query: query.map(str::to_string),
            headers: Vec::new(),
            body: body.as_bytes().to_vec(),
            params: Vec::new(),
        };
        let dispatch = "/api/v3/repos/fleet/billing/actions/workflows/release.yml/dispatches";
        assert_eq!(
            subset.request_violations(
                &request("POST", dispatch, None, r#"{"ref":"main","inputs":{}}"#),
                "/api/v3"
            ),
            Vec::<String>::new()
        );
        let missing_ref = subset.request_violations(&request("POST", dispatch, None, r#"{"inputs":{}}"#), "/api/v3");
        assert!(missing_ref[0].contains("required body field `ref`"), "{missing_ref:?}");
        let unknown = subset.request_violations(
            &request("POST", dispatch, None, r#"{"ref":"m","branch":"m"}"#),
            "/api/v3",
        );
        assert!(
            unknown[0].contains("body field `branch` is not in the request schema"),
            "{unknown:?}"
        );
        let query = subset.request_violations(
            &request(
                "GET",
                "/api/v3/repos/fleet/billing/deployments",
                Some("env=production"),
                "",
            ),
            "/api/v3",
        );
        assert!(query[0].contains("query parameter `env`"), "{query:?}");
        let path = subset.request_violations(&request("DELETE", "/api/v3/repos/fleet/billing", None, ""), "/api/v3");
        assert!(path[0].contains("is not an operation"), "{path:?}");
        let route = |method: &str, path: &str| RouteDoc {
            method: method.into(),
            path: path.into(),
            doc: "a route".into(),
        };
        assert_eq!(
            subset.route_violation(&route("GET", "/api/v3/repos/:owner/:repo"), "/api/v3"),
            None
        );
        assert!(subset
            .route_violation(&route("PUT", "/api/v3/repos/:owner/:repo"), "/api/v3")
            .is_some());
        assert!(subset
            .route_violation(&route("GET", "/api/v3/repos/:owner/releases"), "/api/v3")
            .is_some());
    }
}
