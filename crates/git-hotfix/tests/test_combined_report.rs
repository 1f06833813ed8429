//! One record across repositories (issue 15): runs in two repositories
//! started with the same `--incident` are one hotfix; `report --incident ID
//! --repo PATH` (or `[incident] repositories`) gives which repositories and
//! services changed, the evidence of each run, and the timeline merged.

use std::path::{Path, PathBuf};

use crate::common::{Run, Scenario, MINIMAL_CONFIG};

const T0: i64 = 1_900_000_000;

fn json(run: &Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", run.stdout))
}

/// Writes the operator's hotfix.toml: the minimal one, a service name, a
/// deploy that just succeeds, and `extra`.
fn configure(s: &Scenario, service: &str, extra: &str) {
    let text = format!("service = \"{service}\"\n{MINIMAL_CONFIG}\n[deploy]\ncommand = \"echo deployed\"\n{extra}");
    std::fs::write(s.work.join("hotfix.toml"), text).expect("config");
}

/// Runs git-hotfix in `dir` at `at` seconds past [`T0`].
fn at(s: &Scenario, dir: &Path, secs: i64, args: &[&str]) -> Run {
    let when = (T0 + secs).to_string();
    s.hotfix_env(dir, args, &[("GIT_HOTFIX_TIMESTAMP", &when)])
}

/// A second fix on main, in a file of its own: it applies on a release the
/// first hotfix already moved.
fn fix_h(s: &Scenario) -> String {
    s.write("h.txt", "h\n");
    let h = s.commit("fix: H adds h.txt");
    s.git(&s.work, &["push", "-q", "origin", "main"]);
    h
}

/// Returns the id of the run `start` created, from its journal ref on the origin.
fn runs_on_origin(s: &Scenario) -> Vec<String> {
    s.git(
        &s.origin,
        &["for-each-ref", "--format=%(refname:lstrip=3)", "refs/hotfix/runs/"],
    )
    .lines()
    .map(str::to_string)
    .collect()
}

/// Returns `to` as a path relative to `from` (both absolute, sharing a parent).
fn relative(from: &Path, to: &Path) -> PathBuf {
    let from: Vec<_> = from.components().collect();
    let to: Vec<_> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut path = PathBuf::new();
    for _ in common..from.len() {
        path.push("..");
    }
    for c in &to[common..] {
        path.push(c);
    }
    path
}

/// Two repositories, `checkout` and `admin`, each with its own origin and
/// operator clone. Checkout: an unrelated run (INC-7, aborted) at T0, then
/// INC-42's run at +100; admin: INC-42's run at +200; checkout's run
/// attested at +300, after admin's.
struct Incident {
    checkout: Scenario,
    admin: Scenario,
    unrelated: String,
    checkout_run: String,
    admin_run: String,
}

fn incident() -> Incident {
    let checkout = Scenario::new();
    let admin = Scenario::new();
    configure(&checkout, "checkout", "");
    configure(&admin, "admin", "");

    let f = checkout.f.clone();
    let p = checkout.p.clone();
    at(
        &checkout,
        &checkout.work,
        0,
        &["start", "--fix", &f, "--production", &p, "--incident", "INC-7", "--yes"],
    )
    .expect_code(0);
    let unrelated = runs_on_origin(&checkout);
    at(
        &checkout,
        &checkout.work,
        10,
        &["abort", "--reason", "another incident"],
    )
    .expect_code(0);

    let h = fix_h(&checkout);
    at(
        &checkout,
        &checkout.work,
        100,
        &[
            "start",
            "--fix",
            &h,
            "--production",
            &p,
            "--incident",
            "INC-42",
            "--yes",
        ],
    )
    .expect_code(0);
    let checkout_run: Vec<String> = runs_on_origin(&checkout)
        .into_iter()
        .filter(|r| !unrelated.contains(r))
        .collect();

    let (af, ap) = (admin.f.clone(), admin.p.clone());
    at(
        &admin,
        &admin.work,
        200,
        &[
            "start",
            "--fix",
            &af,
            "--production",
            &ap,
            "--incident",
            "INC-42",
            "--yes",
        ],
    )
    .expect_code(0);
    at(
        &checkout,
        &checkout.work,
        300,
        &["attest", "smoke-passed", "--detail", "checked by hand"],
    )
    .expect_code(0);
    let [unrelated] = unrelated.as_slice() else {
        panic!("one unrelated run: {unrelated:?}")
    };
    let [checkout_run] = checkout_run.as_slice() else {
        panic!("one run of INC-42 in checkout: {checkout_run:?}")
    };
    let [admin_run] = runs_on_origin(&admin).try_into().expect("one run in admin");
    Incident {
        unrelated: unrelated.clone(),
        checkout_run: checkout_run.clone(),
        admin_run,
        checkout,
        admin,
    }
}

/// Returns the (repository, run, time) of each timeline entry.
fn timeline(report: &serde_json::Value) -> Vec<(String, String, i64)> {
    report["timeline"]
        .as_array()
        .expect("a timeline")
        .iter()
        .map(|t| {
            (
                t["repository"].as_str().expect("repository").to_string(),
                t["run_id"].as_str().expect("run id").to_string(),
                t["at"].as_i64().expect("at"),
            )
        })
        .collect()
}

#[test]
fn the_combined_report_over_two_repositories() {
    let i = incident();
    let admin = i.admin.work.display().to_string();
    let report = at(
        &i.checkout,
        &i.checkout.work,
        400,
        &["report", "--incident", "INC-42", "--repo", &admin, "--format", "json"],
    );
    report.expect_code(0);
    let r = json(&report);
    assert_eq!(r["incident"], "INC-42");
    assert_eq!(r["state"], "some-open", "both runs are released, awaiting finish");

    let repos = r["repositories"].as_array().expect("repositories");
    let paths: Vec<&str> = repos.iter().map(|r| r["path"].as_str().expect("path")).collect();
    assert_eq!(paths, [".", admin.as_str()]);
    let runs = |n: usize| -> Vec<String> {
        repos[n]["runs"]
            .as_array()
            .expect("runs")
            .iter()
            .map(|r| r["run_id"].as_str().expect("id").to_string())
            .collect()
    };
    assert_eq!(
        runs(0),
        std::slice::from_ref(&i.checkout_run),
        "not the unrelated {}",
        i.unrelated
    );
    assert_eq!(runs(1), std::slice::from_ref(&i.admin_run));
    assert_eq!(repos[1]["remote"], "origin");
    assert_eq!(repos[1]["remote_url"], "../origin.git", "as the clone names it");
    let checkout_run = &repos[0]["runs"][0];
    assert_eq!(checkout_run["incident"], "INC-42");
    assert_eq!(checkout_run["matched"], "exact");
    assert_eq!(checkout_run["state"], "released");
    assert_eq!(checkout_run["strategy"], "restore-release");
    assert_eq!(checkout_run["release_branch"], "release");
    assert_eq!(checkout_run["production_before"], i.checkout.p.as_str());
    assert_eq!(
        checkout_run["release_commit"].as_str(),
        i.checkout.origin_ref("refs/heads/release").as_deref()
    );
    assert_eq!(checkout_run["services_changed"], serde_json::json!(["checkout"]));
    let admin_run = &repos[1]["runs"][0];
    assert_eq!(admin_run["production_before"], i.admin.p.as_str());
    assert_eq!(
        admin_run["release_commit"].as_str(),
        i.admin.origin_ref("refs/heads/release").as_deref()
    );
    assert_eq!(admin_run["services_changed"], serde_json::json!(["admin"]));

    // One row per run without [[services]], named by `service`, changed = pushed.
    let targets: Vec<(&str, &str, &str, bool, &str)> = r["targets"]
        .as_array()
        .expect("targets")
        .iter()
        .map(|t| {
            (
                t["repository"].as_str().expect("repository"),
                t["run_id"].as_str().expect("run"),
                t["service"].as_str().expect("service"),
                t["changed"].as_bool().expect("changed"),
                t["rolled_back"].as_str().expect("rolled back"),
            )
        })
        .collect();
    assert_eq!(
        targets,
        [
            (".", i.checkout_run.as_str(), "checkout", true, "no"),
            (admin.as_str(), i.admin_run.as_str(), "admin", true, "no"),
        ]
    );
    assert_eq!(
        r["targets"][1]["deploy"],
        format!("ok {}", hotfix::ambient::format_utc(T0 + 200))
    );

    // Merged in time order: checkout's start, admin's run, checkout's attestation.
    let merged = timeline(&r);
    let checkout_at_100 = merged
        .iter()
        .take_while(|(repo, run, t)| repo == "." && run == &i.checkout_run && *t == T0 + 100)
        .count();
    assert!(checkout_at_100 > 1, "checkout's run comes first: {merged:?}");
    let admin_entries = merged[checkout_at_100..]
        .iter()
        .take_while(|(repo, run, t)| repo == &admin && run == &i.admin_run && *t == T0 + 200)
        .count();
    assert!(admin_entries > 1, "then admin's: {merged:?}");
    assert_eq!(
        merged[checkout_at_100 + admin_entries..],
        [(".".to_string(), i.checkout_run.clone(), T0 + 300)],
        "then checkout's attestation, and nothing of the unrelated run"
    );
    assert_eq!(r["timeline"].as_array().map(Vec::len), Some(merged.len()));
    assert_eq!(r["timeline"][merged.len() - 1]["what"], "smoke-passed attested");

    // Evidence per run, counted; smoke-passed is attested in checkout only.
    let evidence = r["evidence"].as_array().expect("evidence");
    assert_eq!(evidence.len(), 2);
    let missing = |n: usize| evidence[n]["missing_ids"].as_array().expect("missing").clone();
    assert!(!missing(0).contains(&"smoke-passed".into()), "{:?}", missing(0));
    assert!(missing(1).contains(&"smoke-passed".into()), "{:?}", missing(1));
    assert_eq!(
        evidence[0]["missing"].as_u64(),
        Some(missing(0).len() as u64),
        "the count is of the ids"
    );
    assert_eq!(evidence[1]["missing"].as_u64(), Some(missing(0).len() as u64 + 1));

    // Markdown: the same record for the incident tracker, ending in one next line.
    let md = at(
        &i.checkout,
        &i.checkout.work,
        400,
        &["report", "--incident", "INC-42", "--repo", &admin],
    );
    md.expect_code(0);
    let text = &md.stdout;
    assert!(text.starts_with("# Incident INC-42\n"), "{text}");
    assert!(
        text.contains("\n2 repositories, 2 runs, 2 services changed; some open\n"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "| {admin} | origin (../origin.git) | {} | released, awaiting finish | restore-release | release | `{}` |",
            i.admin_run,
            &i.admin.p[..12]
        )),
        "{text}"
    );
    assert!(
        text.contains("| Repository | Run | Service | Changed | Production before |"),
        "{text}"
    );
    let lines: Vec<&str> = text.lines().collect();
    let attested = format!(
        "| {} | . | {} | Olly Operator <olly@example.com> | smoke-passed attested |",
        hotfix::ambient::format_utc(T0 + 300),
        i.checkout_run
    );
    let admin_created = format!(
        "| {} | {admin} | {} | Olly Operator <olly@example.com> | run created (restore-release, 1 fix(es)) |",
        hotfix::ambient::format_utc(T0 + 200),
        i.admin_run
    );
    let position = |line: &str| lines.iter().position(|l| *l == line);
    assert!(
        position(&admin_created).expect("admin's run in the timeline") < position(&attested).expect("the attestation"),
        "{text}"
    );
    assert!(
        lines.contains(
            &format!(
                "- `{admin}` run {}: 5 ok, 3 missing (release-job, production-reflects-fix, smoke-passed), 0 failed",
                i.admin_run
            )
            .as_str()
        ),
        "{text}"
    );
    assert!(!text.contains(&i.unrelated), "{text}");
    let last = text.lines().last().expect("lines");
    assert_eq!(
        last,
        format!(
            "next: `git hotfix status {}` shows what the open run still needs",
            i.checkout_run
        )
    );
}

#[test]
fn incident_repositories_in_hotfix_toml_give_the_same_record() {
    let i = incident();
    let relative = relative(&i.checkout.work, &i.admin.work).display().to_string();
    let path = i.checkout.work.join("hotfix.toml");
    let mut text = std::fs::read_to_string(&path).expect("config");
    text.push_str(&format!("\n[incident]\nrepositories = [\"{relative}\"]\n"));
    std::fs::write(&path, text).expect("config");

    let from_config = at(
        &i.checkout,
        &i.checkout.work,
        400,
        &["report", "--incident", "INC-42", "--format", "json"],
    );
    from_config.expect_code(0);
    let r = json(&from_config);
    let paths: Vec<&str> = r["repositories"]
        .as_array()
        .expect("repositories")
        .iter()
        .map(|r| r["path"].as_str().expect("path"))
        .collect();
    assert_eq!(paths, [".", relative.as_str()]);
    assert_eq!(r["repositories"][1]["runs"][0]["run_id"], i.admin_run.as_str());

    // The same record as `--repo` gives, but for how the repository is named.
    let admin = i.admin.work.display().to_string();
    let given = at(
        &i.checkout,
        &i.checkout.work,
        400,
        &["report", "--incident", "INC-42", "--repo", &admin, "--format", "json"],
    );
    let g = json(&given);
    let renamed = |v: &serde_json::Value, from: &str| v.to_string().replace(&format!("\"{from}\""), "\"ADMIN\"");
    assert_eq!(renamed(&r["timeline"], &relative), renamed(&g["timeline"], &admin));
    assert_eq!(renamed(&r["targets"], &relative), renamed(&g["targets"], &admin));
    assert_eq!(renamed(&r["evidence"], &relative), renamed(&g["evidence"], &admin));

    // `--repo` replaces the list: the checkout alone, and a notice says admin has no run.
    let only_self = at(
        &i.checkout,
        &i.checkout.work,
        400,
        &["report", "--incident", "INC-42", "--repo", ".", "--format", "json"],
    );
    only_self.expect_code(0);
    let o = json(&only_self);
    assert_eq!(o["repositories"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        o["notices"],
        serde_json::json!(["`.` is this repository again, read once"])
    );
}

#[test]
fn a_repository_without_runs_is_listed_and_a_path_that_is_not_one_is_a_usage_error() {
    let s = Scenario::new();
    configure(&s, "checkout", "");
    let not_a_repo = s.root().join("not-a-repository");
    std::fs::create_dir(&not_a_repo).expect("dir");
    let given = not_a_repo.display().to_string();
    let run = s.hotfix(&s.work, &["report", "--incident", "INC-42", "--repo", &given]);
    run.expect_code(2);
    assert_eq!(
        run.stderr.lines().next(),
        Some(format!("error: `{given}` is not a git repository (a repository of incident `INC-42`)").as_str()),
        "{}",
        run.stderr
    );
    assert_eq!(run.stdout, "", "no record is written");

    // A repository with no run of the incident is listed with none, not an error.
    let other = Scenario::new();
    let other_work = other.work.display().to_string();
    let none = s.hotfix(
        &s.work,
        &[
            "report",
            "--incident",
            "INC-42",
            "--repo",
            &other_work,
            "--format",
            "json",
        ],
    );
    none.expect_code(0);
    let r = json(&none);
    assert_eq!(r["state"], "no-runs");
    assert_eq!(r["repositories"][1]["path"], other_work.as_str());
    assert_eq!(r["repositories"][1]["runs"], serde_json::json!([]));
    assert_eq!(
        r["notices"],
        serde_json::json!([
            "`.` has no run of incident `INC-42`",
            format!("`{other_work}` has no run of incident `INC-42`")
        ])
    );

    let both = s.hotfix(&s.work, &["report", "some-run", "--incident", "INC-42"]);
    both.expect_code(2);
    assert!(both.stderr.contains("cannot be used with"), "{}", both.stderr);
}
