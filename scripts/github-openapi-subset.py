#!/usr/bin/env python3
"""Extracts the GitHub REST operations git-hotfix uses from GitHub's official
OpenAPI description (the npm package @octokit/openapi) into
crates/hotfix-testkit/openapi/github-subset.json, which the test
`test_github_openapi` checks the fake GitHub and the client against.

    mkdir /tmp/octo && cd /tmp/octo && npm pack @octokit/openapi && tar xzf octokit-openapi-*.tgz
    python3 scripts/github-openapi-subset.py /tmp/octo/package/generated/api.github.com.json

Python 3 standard library only. It fails when an operation, or a response
property git-hotfix reads, is not in the description.
"""

import json
import os
import sys

# (method, path template, {status: [response properties read]}).
# A dotted name goes into an object; through an array it reads the items.
OPERATIONS = [
    ("GET", "/user", {"200": ["id", "login", "name", "html_url"]}),
    ("GET", "/repos/{owner}/{repo}", {"200": ["id", "full_name", "default_branch", "html_url"]}),
    ("GET", "/repos/{owner}/{repo}/deployments", {"200": ["id", "sha", "ref", "environment", "created_at", "url", "statuses_url"]}),
    ("GET", "/repos/{owner}/{repo}/deployments/{deployment_id}/statuses", {"200": ["id", "state", "environment_url", "log_url", "created_at"]}),
    ("POST", "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches", {"200": ["workflow_run_id", "run_url", "html_url"], "204": []}),
    ("GET", "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs", {"200": ["total_count", "workflow_runs.id", "workflow_runs.created_at", "workflow_runs.event"]}),
    ("GET", "/repos/{owner}/{repo}/actions/runs/{run_id}", {"200": ["id", "status", "conclusion", "html_url", "head_sha", "created_at"]}),
    ("GET", "/repos/{owner}/{repo}/actions/runs/{run_id}/jobs", {"200": ["total_count", "jobs.id", "jobs.name", "jobs.status", "jobs.conclusion", "jobs.html_url"]}),
    ("GET", "/repos/{owner}/{repo}/actions/runs/{run_id}/pending_deployments", {"200": ["environment.id", "environment.name", "wait_timer", "current_user_can_approve", "reviewers.type", "reviewers.reviewer.id", "reviewers.reviewer.login"]}),
    ("POST", "/repos/{owner}/{repo}/actions/runs/{run_id}/pending_deployments", {"200": ["id", "environment"]}),
    ("GET", "/repos/{owner}/{repo}/actions/jobs/{job_id}/logs", {"302": []}),
    ("GET", "/repos/{owner}/{repo}/pulls", {"200": ["number", "html_url", "state", "draft", "head.ref"]}),
    ("POST", "/repos/{owner}/{repo}/pulls", {"201": ["number", "html_url", "state", "draft", "head.ref"], "422": []}),
    ("POST", "/repos/{owner}/{repo}/issues/{issue_number}/labels", {"200": ["name"]}),
    ("DELETE", "/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}", {"200": ["name"], "404": []}),
    ("POST", "/repos/{owner}/{repo}/issues", {"201": ["number", "html_url", "labels"]}),
    ("POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments", {"201": ["id", "html_url"]}),
    ("GET", "/repos/{owner}/{repo}/issues/{issue_number}", {"200": ["number", "html_url", "pull_request"]}),
    ("GET", "/repos/{owner}/{repo}/actions/workflows/{workflow_id}", {"200": ["id", "path", "state"]}),
    ("GET", "/repos/{owner}/{repo}/environments/{environment_name}", {"200": ["id", "name", "html_url", "protection_rules.type", "protection_rules.reviewers.type", "protection_rules.reviewers.reviewer.id", "protection_rules.reviewers.reviewer.login"]}),
    ("GET", "/repos/{owner}/{repo}/commits/{commit_sha}/comments", {"200": ["id", "body", "user.id", "user.login", "created_at", "html_url"]}),
    ("POST", "/repos/{owner}/{repo}/commits/{commit_sha}/comments", {"201": ["id", "body", "user.id", "user.login", "created_at", "html_url"]}),
    ("POST", "/repos/{owner}/{repo}/releases", {"201": ["id", "html_url", "tag_name"], "422": []}),
    ("GET", "/repos/{owner}/{repo}/releases/tags/{tag}", {"200": ["id", "html_url", "tag_name"], "404": []}),
    # merge-main (issue 14): the pull request that holds the fix, and the checks of its merge commit.
    ("GET", "/repos/{owner}/{repo}/pulls/{pull_number}", {"200": ["number", "html_url", "state", "merged", "merge_commit_sha", "base.ref"]}),
    ("GET", "/repos/{owner}/{repo}/commits/{ref}/check-runs", {"200": ["total_count", "check_runs.status", "check_runs.conclusion", "check_runs.html_url"]}),
    ("GET", "/repos/{owner}/{repo}/commits/{ref}/status", {"200": ["state", "total_count", "statuses.state"]}),
]


def resolve(doc, node):
    """Returns `node` with its `$ref` (and an `allOf`'s parts) resolved."""
    seen = 0
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            sys.exit("external $ref %s" % ref)
        node = doc
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        seen += 1
        if seen > 50:
            sys.exit("$ref cycle at %s" % ref)
    if isinstance(node, dict) and "allOf" in node:
        merged = {"type": "object", "properties": {}, "required": []}
        for part in node["allOf"]:
            part = resolve(doc, part)
            merged["properties"].update(part.get("properties", {}))
            merged["required"] += part.get("required", [])
        return merged
    return node


def schema_type(doc, schema):
    schema = resolve(doc, schema)
    if "type" in schema:
        return schema["type"]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return sorted({str(schema_type(doc, s)) for s in schema[key]})
    return "any"


def property_type(doc, schema, dotted, where):
    schema = resolve(doc, schema)
    for name in dotted.split("."):
        while schema.get("type") == "array" or "items" in schema:
            schema = resolve(doc, schema["items"])
        props = schema.get("properties")
        if props is None or name not in props:
            # anyOf/oneOf of objects: the first that has it.
            for alt in schema.get("anyOf", []) + schema.get("oneOf", []):
                alt = resolve(doc, alt)
                if name in alt.get("properties", {}):
                    props = alt["properties"]
                    break
            else:
                sys.exit("%s: the response has no property `%s`" % (where, dotted))
        schema = resolve(doc, props[name])
    return schema_type(doc, schema)


def operation(doc, method, path, used):
    item = doc["paths"].get(path)
    if item is None or method.lower() not in item:
        sys.exit("%s %s is not in the description" % (method, path))
    op = item[method.lower()]
    where = "%s %s" % (method, path)
    params = {"path": [], "query": []}
    for p in item.get("parameters", []) + op.get("parameters", []):
        p = resolve(doc, p)
        if p["in"] in params:
            params[p["in"]].append({"name": p["name"], "required": bool(p.get("required", False))})
    out = {
        "method": method,
        "path": path,
        "operationId": op.get("operationId"),
        "docs": op.get("externalDocs", {}).get("url"),
        "parameters": params,
    }
    body = op.get("requestBody")
    if body is not None:
        body = resolve(doc, body)
        schema = resolve(doc, body["content"]["application/json"]["schema"])
        # A body is one of these JSON objects (more than one where the
        # description says `oneOf`, as "Add labels to an issue" does).
        objects = [resolve(doc, s) for s in schema.get("oneOf", schema.get("anyOf", [schema]))]
        out["requestBody"] = {
            "required": bool(body.get("required", False)),
            "alternatives": [
                {
                    "properties": {k: schema_type(doc, v) for k, v in sorted(s.get("properties", {}).items())},
                    "requiredProperties": sorted(s.get("required", [])),
                    # Absent means the description allows other properties.
                    "additionalProperties": s.get("additionalProperties", True) is not False,
                }
                for s in objects
                if s.get("type") == "object"
            ],
        }
    responses = {}
    for status in sorted(op["responses"]):
        answer = {}
        if status in used:
            content = resolve(doc, op["responses"][status]).get("content", {})
            schema = content.get("application/json", {}).get("schema")
            answer["propertiesUsed"] = {
                name: property_type(doc, schema, name, "%s %s" % (where, status)) for name in used[status]
            } if schema is not None else {}
        responses[status] = answer
    for status in used:
        if status not in responses:
            sys.exit("%s documents no %s answer" % (where, status))
    out["responses"] = responses
    return out


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: github-openapi-subset.py <package>/generated/api.github.com.json [out.json]")
    source = sys.argv[1]
    with open(source, encoding="utf-8") as f:
        doc = json.load(f)
    package = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(source))), "package.json")
    version = doc.get("info", {}).get("version")
    if os.path.exists(package):
        with open(package, encoding="utf-8") as f:
            version = json.load(f).get("version", version)
    subset = {
        "source": {
            "package": "@octokit/openapi",
            "version": version,
            "file": "generated/" + os.path.basename(source),
            "extractedBy": "scripts/github-openapi-subset.py",
        },
        "operations": [operation(doc, m, p, used) for m, p, used in OPERATIONS],
    }
    out = sys.argv[2] if len(sys.argv) == 3 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "crates", "hotfix-testkit", "openapi", "github-subset.json")
    with open(out, "w", encoding="utf-8") as f:
        json.dump(subset, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
