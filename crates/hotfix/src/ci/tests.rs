use std::path::Path;

use serde_norway::Value;

use super::*;

const RESTORE_RELEASE: &str = r#"strategy = "restore-release"
[branches]
main = "main"
release = "release"
"#;

const MERGE_MAIN: &str = r#"strategy = "merge-main"
[branches]
main = "main"
develop = "develop"
[forge]
kind = "gitlab"
url = "https://gitlab.example.com"
project = "fleet/portal"
token_env = "PORTAL_TOKEN"
[deploy]
job = "deploy-prod-hotfix"
[approvals]
roles = ["tech-lead", "pm"]
verify = "forge"
[backport]
to = ["develop"]
"#;

const FROM_TAG: &str = r#"strategy = "from-tag"
[branches]
main = "main"
[products.worker-mobile]
tag = "worker-mobile/prod-v{version}"
version_files = ["apps/mobile/pubspec.yaml"]
[products.web]
tag = "web/prod-v{version}"
version_files = ["apps/web/package.json"]
[backport]
to = ["develop"]
"#;

const TRUNK: &str = r#"strategy = "trunk"
remote = "origin"
[branches]
main = "main"
[trunk]
releasable = { command = "./ci/main-releasable.sh" }
tag = "v{version}-hotfix.{n}"
[release]
command = "./ci/release.sh"
action = "release main"
[staging.deploy]
command = "./ci/deploy-staging.sh"
"#;

fn config(text: &str) -> Config {
    Config::parse(text, Path::new("hotfix.toml")).expect("the sample config is valid")
}

fn parsed(text: &str) -> Value {
    serde_norway::from_str(text).unwrap_or_else(|e| panic!("the template parses back: {e}\n{text}"))
}

fn script(job: &Value) -> Vec<String> {
    job["script"]
        .as_sequence()
        .expect("a script list")
        .iter()
        .map(|l| l.as_str().expect("a script line is a string").to_string())
        .collect()
}

#[test]
fn every_strategy_parses_back_on_both_forges_with_the_script_lines_as_generated() {
    for text in [RESTORE_RELEASE, MERGE_MAIN, FROM_TAG, TRUNK] {
        let config = config(text);
        let pipeline = pipeline(&config).expect("a supported strategy");
        let gitlab = parsed(&template(&config, CiForge::Gitlab).expect("gitlab"));
        let github = parsed(&template(&config, CiForge::Github).expect("github"));
        for job in &pipeline.jobs {
            assert_eq!(
                script(&gitlab[job.name]),
                job.script,
                "{}: gitlab {}",
                config.strategy,
                job.name
            );
            let steps = github["jobs"][job.name]["steps"].as_sequence().expect("steps");
            let run = steps
                .iter()
                .find(|s| s["name"].as_str() == Some(job.name))
                .and_then(|s| s["run"].as_str())
                .expect("the job's own step");
            assert_eq!(
                run,
                job.script.join("\n") + "\n",
                "{}: github {}",
                config.strategy,
                job.name
            );
        }
    }
}

#[test]
fn restore_release_has_no_tag_job_and_no_backport_without_targets() {
    let text = template(&config(RESTORE_RELEASE), CiForge::Gitlab).expect("gitlab");
    let yaml = parsed(&text);
    assert!(yaml.get("hotfix-backport").is_none(), "{text}");
    assert!(!text.contains("CI_COMMIT_TAG"), "{text}");
    assert!(text.contains("makes no hotfix tag"), "{text}");
    let production = &yaml["hotfix-production"];
    assert_eq!(production["environment"]["name"], "production");
    assert_eq!(production["environment"]["deployment_tier"], "production");
    assert_eq!(production["rules"][0]["when"], "manual");
    assert_eq!(production["needs"][0], "hotfix-start");
    assert!(script(production)
        .iter()
        .any(|l| l.contains("git hotfix continue --yes")));
    assert_eq!(yaml["variables"]["HOTFIX_SEVERITY"]["options"][0], "critical");
    assert!(text.contains("GITLAB_TOKEN") && text.contains("scope `api`"), "{text}");
    assert!(text.contains("needs: [hotfix-guard]"), "the cut-off hint: {text}");
}

#[test]
fn merge_main_backports_after_production_with_the_configured_token() {
    let text = template(&config(MERGE_MAIN), CiForge::Gitlab).expect("gitlab");
    let yaml = parsed(&text);
    assert_eq!(yaml["hotfix-backport"]["needs"][0], "hotfix-production");
    assert_eq!(script(&yaml["hotfix-backport"]), ["git hotfix backport"]);
    assert!(text.contains("PORTAL_TOKEN"), "{text}");
    let github = parsed(&template(&config(MERGE_MAIN), CiForge::Github).expect("github"));
    assert_eq!(github["jobs"]["hotfix-backport"]["needs"], "hotfix-production");
    assert_eq!(
        github["jobs"]["hotfix-production"]["env"]["PORTAL_TOKEN"],
        "${{ secrets.GITHUB_TOKEN }}"
    );
    for p in ["contents", "deployments", "issues", "pull-requests", "actions"] {
        assert_eq!(github["permissions"][p], "write", "{p}");
    }
}

#[test]
fn from_tag_production_runs_in_the_pipeline_of_each_products_tag() {
    let config = config(FROM_TAG);
    let gitlab = parsed(&template(&config, CiForge::Gitlab).expect("gitlab"));
    let rules: Vec<&str> = gitlab["hotfix-production"]["rules"]
        .as_sequence()
        .expect("rules")
        .iter()
        .map(|r| r["if"].as_str().expect("if"))
        .collect();
    assert_eq!(
        rules,
        [
            "$CI_COMMIT_TAG =~ /^web\\/prod-v[0-9]+\\.[0-9]+\\.[0-9]+$/",
            "$CI_COMMIT_TAG =~ /^worker-mobile\\/prod-v[0-9]+\\.[0-9]+\\.[0-9]+$/",
        ]
    );
    assert!(gitlab["hotfix-production"].get("needs").is_none());
    assert!(gitlab["variables"].get("HOTFIX_PRODUCT").is_some());
    let github = parsed(&template(&config, CiForge::Github).expect("github"));
    assert_eq!(github["on"]["push"]["tags"][0], "web/prod-v*");
    assert_eq!(github["on"]["push"]["tags"][1], "worker-mobile/prod-v*");
    assert_eq!(github["on"]["workflow_dispatch"]["inputs"]["product"]["type"], "string");
    assert_eq!(github["jobs"]["hotfix-production"]["environment"], "production");
}

#[test]
fn the_inputs_reach_the_scripts_only_through_the_environment() {
    for text in [RESTORE_RELEASE, MERGE_MAIN, FROM_TAG, TRUNK] {
        let github = template(&config(text), CiForge::Github).expect("github");
        let yaml = parsed(&github);
        for (name, job) in yaml["jobs"].as_mapping().expect("jobs") {
            for step in job["steps"].as_sequence().expect("steps") {
                if let Some(run) = step["run"].as_str() {
                    assert!(!run.contains("${{"), "{name:?}: an expression in a script: {run}");
                }
            }
        }
        let gitlab = template(&config(text), CiForge::Gitlab).expect("gitlab");
        assert!(!gitlab.contains("$[["), "no interpolated input: {gitlab}");
    }
}

#[test]
fn an_unknown_strategy_names_the_supported_ones() {
    let mut config = config(RESTORE_RELEASE);
    config.strategy = "toy".into();
    let err = template(&config, CiForge::Gitlab)
        .expect_err("no pipeline for a strategy git hotfix ci does not know")
        .to_string();
    assert!(err.contains("`toy`"), "{err}");
    for s in STRATEGIES {
        assert!(err.contains(s), "{err}");
    }
}

#[test]
fn a_staging_job_renders_with_its_environment_tier() {
    let mut pipeline = pipeline(&config(RESTORE_RELEASE)).expect("pipeline");
    let mut staging = pipeline.jobs[1].clone();
    staging.name = "hotfix-staging";
    staging.environment = Some(Environment {
        name: "hotfix-staging".into(),
        tier: Tier::Staging,
    });
    pipeline.jobs.insert(1, staging);
    let yaml = parsed(&gitlab::render(&pipeline));
    assert_eq!(yaml["hotfix-staging"]["environment"]["deployment_tier"], "staging");
    let yaml = parsed(&github::render(&pipeline));
    assert_eq!(yaml["jobs"]["hotfix-staging"]["environment"], "hotfix-staging");
}

#[test]
fn scalars_read_back_as_the_same_string() {
    for text in [
        "plain text",
        "a: b",
        "- dash",
        "it's",
        "true",
        "1.5",
        "x #y",
        "$CI == \"web\" && $X",
        "{braces}",
        "",
        "trailing:",
    ] {
        let yaml = format!("k: {}\n", scalar(text));
        let value: Value = serde_norway::from_str(&yaml).expect("parses");
        assert_eq!(value["k"].as_str(), Some(text), "{yaml}");
    }
}

#[test]
fn trunk_stages_in_the_start_job_and_releases_hotfix_tags_in_their_pipeline() {
    let config = config(TRUNK);
    let pipeline = pipeline(&config).expect("trunk has a pipeline");
    let names: Vec<&str> = pipeline.jobs.iter().map(|j| j.name).collect();
    assert_eq!(
        names,
        [
            "hotfix-start",
            "hotfix-production",
            "hotfix-production-tag",
            "hotfix-guard"
        ]
    );
    assert_eq!(
        pipeline.jobs[0].environment.as_ref().map(|e| e.tier),
        Some(Tier::Staging)
    );
    let Trigger::Tag { tags } = &pipeline.jobs[2].trigger else {
        panic!("the tag job runs in the tag's pipeline");
    };
    assert_eq!(tags[0].regex(), "/^v[0-9]+\\.[0-9]+\\.[0-9]+-hotfix\\.[0-9]+$/");
    assert_eq!(tags[0].glob(), "v*-hotfix.*");
    let gitlab = template(&config, CiForge::Gitlab).expect("gitlab");
    assert!(gitlab.contains("deployment_tier: staging"), "{gitlab}");
}
