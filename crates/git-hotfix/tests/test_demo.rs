//! `git hotfix demo`, the README's first command, runs the whole runbook.

use crate::common::{Run, Scenario};

/// The demo's two services, in the order of its hotfix.toml's `[[services]]`.
const SERVICES: [&str; 2] = ["checkout", "billing"];

#[test]
fn the_demo_runs_the_whole_runbook_and_writes_a_complete_incident_record() {
    let s = Scenario::new();
    let dir = s.root().join("demo");
    let demo = s.hotfix(s.root(), &["demo", "--dir", dir.to_str().expect("utf-8 temp path")]);
    demo.expect_code(0);
    for line in [
        "approved as tech-lead by Tess Lead",
        "approved as pm by Pat Product",
        "refs/hotfix/locks/release released",
        "verified: signed by tess@example.com (SHA256:",
        "verified: signed by pat@example.com (SHA256:",
    ] {
        assert!(demo.stdout.contains(line), "`{line}` in\n{}", demo.stdout);
    }
    let record = std::fs::read_to_string(dir.join("incident.md")).expect("incident record written");
    assert_eq!(
        record.matches("- [x] **").count(),
        9,
        "every evidence item ok:\n{record}"
    );
    assert!(!record.contains("- [ ] **"), "{record}");
    assert!(
        record.contains("- tech-lead: Tess Lead <tess@example.com> at ")
            && record.contains("verified: signed by tess@example.com (SHA256:"),
        "the record says how each approval was verified:\n{record}"
    );
    assert_ships_both_services(&s, &demo, &dir);
}

/// Fails unless the demo shipped its one fix to both services it touches,
/// each with its own steps, and its record's table of targets says so.
#[track_caller]
fn assert_ships_both_services(s: &Scenario, demo: &Run, dir: &std::path::Path) {
    let lines: Vec<&str> = demo.stdout.lines().collect();
    let release = s.git(&dir.join("origin.git"), &["rev-parse", "refs/heads/release"]);
    let production = s.git(&dir.join("origin.git"), &["rev-parse", "prod-2026.11.20^{commit}"]);
    assert_ne!(release, production);

    // The plan's services section: the fix touches both services' paths.
    assert_lines_start(
        demo,
        &[
            "services",
            "  ships checkout         the fixes touch checkout/payment.py (production ",
            "  ships billing          the fixes touch billing/invoice.py (production ",
            "  ok    services-share-production          every service shipped runs production ",
            "  ok    release-action-allowed             the release jobs are checkout's `release checkout`, \
             billing's `release billing`, none a forbidden action",
        ],
    );

    // Each service's steps ran, checkout's before billing's, each deploy told its service.
    let done_at = |step: &str| {
        lines
            .iter()
            .position(|l| l.starts_with('[') && l.contains(&format!("] {step} ")) && l.ends_with(" done"))
            .unwrap_or_else(|| panic!("`{step}` done in\n{}", demo.stdout))
    };
    let order: Vec<usize> = SERVICES
        .iter()
        .flat_map(|service| {
            ["release-action", "deploy", "verify-production", "smoke"].map(|step| done_at(&format!("{step}-{service}")))
        })
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?} in\n{}", demo.stdout);
    for service in SERVICES {
        assert_lines_start(
            demo,
            &[
                &format!("        | pipeline: running job 'release {service}' in shop/orchestration for {release}"),
                &format!("        | deploying {release} to {service} in production"),
            ],
        );
    }
    // Each service's /version reported the release to its own verification.
    let verified: Vec<&str> = lines
        .iter()
        .filter(|l| l.contains("/version reports: ") && l.ends_with(" after 1 poll(s)"))
        .filter(|l| l.contains(&format!("reports: {}", &release[..7])))
        .copied()
        .collect();
    assert_eq!(
        verified.len(),
        4,
        "two services, each in continue and status:\n{}",
        demo.stdout
    );
    assert_ne!(verified[0], verified[1], "two endpoints:\n{}", demo.stdout);

    // The report's table of targets, shown by the demo and written to the record.
    let record = std::fs::read_to_string(dir.join("incident.md")).expect("incident record written");
    let rows: Vec<Vec<&str>> = record
        .lines()
        .skip_while(|l| *l != "## Targets")
        .skip(4)
        .take_while(|l| l.starts_with("| "))
        .map(|l| l.trim_matches('|').split(" | ").map(str::trim).collect())
        .collect();
    assert_eq!(rows.len(), 2, "{record}");
    for (row, service) in rows.iter().zip(SERVICES) {
        assert_eq!(
            row[..4],
            [
                service,
                "yes",
                &format!("`{}`", &production[..12]),
                &format!("`{}`", &release[..12])
            ],
            "{record}"
        );
        for cell in &row[4..8] {
            assert!(cell.starts_with("ok 20"), "{service}: `{cell}` in\n{record}");
        }
        assert_eq!(row[8], "no", "{record}");
        let shown = record.lines().find(|l| l.starts_with(&format!("| {service} | ")));
        assert!(
            shown.is_some_and(|row| lines.contains(&row)),
            "the demo shows {service}'s row:\n{}",
            demo.stdout
        );
    }

    // Both services run the release: what their /version reports.
    for service in SERVICES {
        let deployed =
            std::fs::read_to_string(dir.join(format!("services/{service}/deployed-sha"))).expect("service state");
        assert_eq!(deployed.trim(), release, "{service} runs the release commit");
    }
    let short = &release[..7];
    assert_eq!(
        lines[lines.len() - 3..lines.len() - 1],
        [
            format!("  one fix, one release, two services: checkout runs {short}, billing runs {short} (the release commit)"),
            format!("  the incident record is {}", dir.join("incident.md").display())
        ],
        "{}",
        demo.stdout
    );
}

#[test]
fn test_demo_from_tag_hotfixes_one_product_from_its_tag_and_leaves_the_other_alone() {
    let s = Scenario::new();
    let dir = s.root().join("demo");
    let demo = s.hotfix(
        s.root(),
        &[
            "demo",
            "--strategy",
            "from-tag",
            "--dir",
            dir.to_str().expect("utf-8 temp path"),
        ],
    );
    demo.expect_code(0);
    let lines: Vec<&str> = demo.stdout.lines().collect();
    for line in [
        "$ git hotfix plan --product worker-mobile --fix ",
        "$ git hotfix start --product worker-mobile --fix ",
        "$ git hotfix status",
        "$ git hotfix report --output ",
        "  ok    version                            0.1.0 -> 0.1.1 (PATCH + 1)",
        "        refs/heads/hotfix/worker-mobile-v0.1.1 created at ",
        "        refs/tags/worker-mobile/prod-v0.1.1 created: tag object ",
        "        | deploying worker-mobile/prod-v0.1.1 (version 0.1.1) to the store track",
        "[8/8] verify-production  done",
        "hotfix/worker-mobile-v0.1.1",
        "worker-mobile/prod-v0.1.1 HOTFIX: fix(worker-mobile): do not crash syncing an empty job list",
        "version: 0.1.1+6",
        "$ git diff --name-only worker-mobile/prod-v0.1.0 worker-mobile/prod-v0.1.1      # in origin.git",
    ] {
        assert!(
            lines.iter().any(|l| l.starts_with(line)),
            "a line starting `{line}` in\n{}",
            demo.stdout
        );
    }
    // The CHANGELOG row, on top of the table.
    let row = lines
        .iter()
        .position(|l| l.ends_with("| 0.1.1 | HOTFIX: fix(worker-mobile): do not crash syncing an empty job list |"))
        .unwrap_or_else(|| panic!("the CHANGELOG row in\n{}", demo.stdout));
    assert!(lines[row].starts_with("| 20"), "{}", lines[row]);
    assert_eq!(lines[row + 1], "| 2026-11-20 | 0.1.0 | First store release |");
    // Only the product's paths changed between the two tags; web's tag stays alone.
    let diff = lines
        .iter()
        .position(|l| l.starts_with("$ git diff --name-only"))
        .expect("the diff");
    assert_eq!(
        lines[diff + 1..diff + 4],
        [
            "apps/mobile/CHANGELOG.md",
            "apps/mobile/lib/sync.dart",
            "apps/mobile/pubspec.yaml"
        ]
    );
    let web = lines
        .iter()
        .position(|l| l.starts_with("$ git tag --list 'web/*'"))
        .expect("web's tags");
    assert_eq!(lines[web + 1..web + 3], ["web/prod-v2.3.4", ""]);
    // The fix is never reported as unreleased work of its own.
    assert!(!demo.stdout.contains("unreleased-same-file"), "{}", demo.stdout);

    let origin = dir.join("origin.git");
    let tagged = s.git(&origin, &["rev-parse", "worker-mobile/prod-v0.1.1^{commit}"]);
    let deployed = std::fs::read_to_string(dir.join("service/deployed")).expect("service state");
    assert_eq!(deployed.trim(), format!("worker-mobile/prod-v0.1.1 0.1.1 {tagged}"));
    assert!(dir.join("incident.md").is_file(), "the incident record is written");
}

#[test]
fn the_gitlab_demo_carries_the_runbook_out_through_the_fake_gitlab() {
    let s = Scenario::new();
    let (demo, dir) = forge_demo(&s, "gitlab");
    let lines: Vec<&str> = demo.stdout.lines().collect();
    assert_lines_start(
        &demo,
        &[
        "  production  50ba3f6  (from gitlab environment `production` deployment #41 (",
        "  pipeline created on /api/v4/projects/shop%2Fdevelop/pipeline with inputs \
         {\"action\":\"deploy-release-branch-to-staging\",\"confirm\":true,\"project\":\"shop/checkout\"}",
        "run 20",
        "        | job `deploy-production` #107: running -> success",
        "  job played: `release checkout` #104, now success",
        "  job played: `deploy-production` #107, now success",
        "  deployment #108 of the protected production environment approved by @tess, @pat",
        "  ok       production-reflects-fix    http://127.0.0.1:",
        "  ok       deploy-completed           job `deploy-production` #107 of pipeline #103 deployed ",
        "  ok       incident-record            incident #1 (https://gitlab.fake/shop/checkout/-/issues/1): the report is note #",
        "  incident #1 `hotfix ",
        ],
    );
    for role in ["tech-lead", "pm"] {
        assert!(
            lines.iter().any(|l| l.starts_with("run 20")
                && l.contains(&format!("approved as {role} by "))
                && l.contains("verified: recorded by GitLab (user @")),
            "the {role} approval through GitLab in\n{}",
            demo.stdout
        );
    }
    assert_all_ok_and_shipped(&s, &demo, &dir);
    assert!(!demo.all().contains("S3CRET"), "a token in the output:\n{}", demo.all());
}

#[test]
fn the_github_demo_carries_the_runbook_out_through_the_fake_github() {
    let s = Scenario::new();
    let (demo, dir) = forge_demo(&s, "github");
    let lines: Vec<&str> = demo.stdout.lines().collect();
    assert_lines_start(
        &demo,
        &[
            "  production  50ba3f6  (from github environment `production` deployment #1001 (",
            "$ GITHUB_TOKEN=<tess's> git hotfix approve --role tech-lead      # approved on GitHub as @tess",
            "$ GITHUB_TOKEN=<pat's> git hotfix approve --role pm      # approved on GitHub as @pat",
            "        | job `deploy-production` #",
            "[9/10] verify-production  done",
            "  workflow `release.yml` dispatched on `main` with inputs \
         {\"action\":\"deploy-release-branch-to-staging\",\"confirm\":\"true\",\"project\":\"shop/checkout\"}: run #",
            "  job `release checkout` #",
            "  pending deployment reviewed: \"approved\" for environments [",
            "  ok       production-reflects-fix    http://127.0.0.1:",
            "  ok       deploy-completed           job `deploy-production` #",
            "  ok       incident-record            incident #41 (",
            "  issue #41 labelled incident: 8 comments (the milestones and the report)",
        ],
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("  job `deploy-production` #") && l.ends_with(": success")),
        "the deploy job succeeded:\n{}",
        demo.stdout
    );
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.starts_with("  pending deployment reviewed: "))
            .count(),
        1,
        "one review of the pending deployment:\n{}",
        demo.stdout
    );
    for (role, user) in [("tech-lead", "tess"), ("pm", "pat")] {
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with(&format!("  commit comment by @{user} on "))
                    && l.ends_with(&format!(": approved as {role}"))),
            "{user}'s approval as a commit comment in\n{}",
            demo.stdout
        );
        assert!(
            lines.iter().any(|l| l.starts_with("run 20")
                && l.contains(&format!("approved as {role} by "))
                && l.contains(&format!("verified: recorded by GitHub (user @{user}"))),
            "the {role} approval through GitHub in\n{}",
            demo.stdout
        );
    }
    let release = assert_all_ok_and_shipped(&s, &demo, &dir);
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("  deployment #") && l.contains(&format!("of `production`: {}", &release[..7]))),
        "the deploy is production's newest deployment:\n{}",
        demo.stdout
    );
    assert!(!demo.all().contains("S3CRET"), "a token in the output:\n{}", demo.all());
}

/// Fails unless `demo`'s output has a line starting with each of `prefixes`.
#[track_caller]
fn assert_lines_start(demo: &Run, prefixes: &[&str]) {
    for prefix in prefixes {
        assert!(
            demo.stdout.lines().any(|l| l.starts_with(prefix)),
            "a line starting `{prefix}` in\n{}",
            demo.stdout
        );
    }
}

/// Fails unless every evidence item of the forge demo's report is ok and
/// deploy-production shipped release to the service; returns release's tip.
#[track_caller]
fn assert_all_ok_and_shipped(s: &Scenario, demo: &Run, dir: &std::path::Path) -> String {
    assert!(
        !demo.stdout.contains("- [ ] **"),
        "every evidence item ok:\n{}",
        demo.stdout
    );
    assert_eq!(demo.stdout.matches("- [x] **").count(), 9, "{}", demo.stdout);
    let deployed = std::fs::read_to_string(dir.join("services/checkout/deployed-sha")).expect("service state");
    let release = s.git(&dir.join("origin.git"), &["rev-parse", "refs/heads/release"]);
    assert_eq!(deployed.trim(), release, "deploy-production shipped the release commit");
    release
}

/// Runs `git hotfix demo --forge forge` in a new directory; returns its output and the directory.
fn forge_demo(s: &Scenario, forge: &str) -> (Run, std::path::PathBuf) {
    let dir = s.root().join("demo");
    let demo = s.hotfix(
        s.root(),
        &[
            "demo",
            "--forge",
            forge,
            "--dir",
            dir.to_str().expect("utf-8 temp path"),
        ],
    );
    demo.expect_code(0);
    (demo, dir)
}
