//! The hotfix pipeline as a GitLab CI file, to be `include:`d from
//! `.gitlab-ci.yml`.
//!
//! The inputs are CI/CD variables of the "Run pipeline" form (prefilled by
//! global `variables:` with a `description`), not `spec: inputs:`: the inputs
//! of an included file come from the `include:` line, never from the form.
//! The jobs carry `rules:` rather than the file a `workflow:` block, which
//! would rule every pipeline of the file that includes this one.

use super::{line, scalar, Job, Pipeline, Trigger};

/// The condition of the manually run hotfix pipeline.
const HOTFIX_PIPELINE: &str = "$CI_PIPELINE_SOURCE == \"web\" && $HOTFIX_FIXES";

/// Returns `pipeline` as the text of `.gitlab/hotfix.gitlab-ci.yml`.
pub fn render(pipeline: &Pipeline) -> String {
    let token = &pipeline.token_env;
    let mut out = String::new();
    let w = &mut out;
    line(
        w,
        0,
        &format!(
            "# The hotfix pipeline (strategy `{}`), written by `git hotfix ci --gitlab`.",
            pipeline.strategy
        ),
    );
    line(w, 0, "# Include it from .gitlab-ci.yml:");
    line(w, 0, "#   include:");
    line(w, 0, "#     - local: .gitlab/hotfix.gitlab-ci.yml");
    line(w, 0, "#");
    line(
        w,
        0,
        "# Run it from Build > Pipelines > Run pipeline on the main branch, HOTFIX_FIXES filled in.",
    );
    line(
        w,
        0,
        "# The inputs are the variables below (prefilled in that form), not `spec: inputs:`, which an",
    );
    line(
        w,
        0,
        "# included file takes from its `include:`; jobs have `rules:`, not a `workflow:` block, which",
    );
    line(
        w,
        0,
        "# would rule every pipeline of .gitlab-ci.yml. The inputs are untrusted text: scripts pass",
    );
    line(
        w,
        0,
        "# them to git-hotfix as single \"$VARIABLE\" arguments, and `expand: false` keeps GitLab from",
    );
    line(w, 0, "# expanding a `$NAME` typed into them.");
    line(w, 0, "#");
    line(
        w,
        0,
        &format!("# The forge token: a masked, protected CI/CD variable `{token}` (Settings > CI/CD > Variables)"),
    );
    line(
        w,
        0,
        "# holding a token with scope `api`; masked in git-hotfix's output and journal too.",
    );
    line(
        w,
        0,
        "# The jobs use the default stage; set `stage:` when .gitlab-ci.yml lists its own `stages:`.",
    );
    line(w, 0, "");
    line(w, 0, "variables:");
    for input in &pipeline.inputs {
        line(w, 2, &format!("{}:", input.variable));
        line(w, 4, &format!("description: {}", scalar(input.description)));
        line(w, 4, &format!("value: {}", quoted(input.default)));
        if !input.options.is_empty() {
            let options: Vec<String> = input.options.iter().map(|o| quoted(o)).collect();
            line(w, 4, &format!("options: [{}]", options.join(", ")));
        }
        line(w, 4, "expand: false");
    }
    line(w, 0, "");
    line(w, 0, "# Shared by every job below.");
    line(w, 0, ".hotfix:");
    line(
        w,
        2,
        "image: rust:1                   # any image with git 2.40+ and a POSIX shell",
    );
    line(w, 2, "variables:");
    line(
        w,
        4,
        "GIT_DEPTH: \"0\"                 # the whole history: plans read main, release and tags",
    );
    line(w, 2, "before_script:");
    line(
        w,
        4,
        "# INSTALL git-hotfix: adapt this one line (a release download, an image that has it).",
    );
    line(w, 4, "- cargo install --locked git-hotfix");
    line(w, 4, "# The journal names the person who ran the pipeline.");
    line(
        w,
        4,
        &format!("- {}", scalar("git config user.name \"$GITLAB_USER_NAME\"")),
    );
    line(
        w,
        4,
        &format!("- {}", scalar("git config user.email \"$GITLAB_USER_EMAIL\"")),
    );
    line(
        w,
        4,
        "# The job token cannot push: git-hotfix pushes (release, journal, lock) with the forge token.",
    );
    line(
        w,
        4,
        &format!(
            "- {}",
            scalar(&format!(
                "git remote set-url {} \"https://oauth2:${{{token}}}@${{CI_SERVER_HOST}}/${{CI_PROJECT_PATH}}.git\"",
                remote_name(&pipeline.remote)
            ))
        ),
    );
    for job in &pipeline.jobs {
        line(w, 0, "");
        render_job(w, job);
    }
    if !pipeline.jobs.iter().any(|j| matches!(j.trigger, Trigger::Tag { .. })) {
        line(w, 0, "");
        line(
            w,
            0,
            &format!(
                "# No tag pipeline: strategy `{}` makes no hotfix tag, so production",
                pipeline.strategy
            ),
        );
        line(w, 0, "# is the manual hotfix-production job of the hotfix pipeline.");
    }
    out
}

fn render_job(w: &mut String, job: &Job) {
    for c in &job.comment {
        line(w, 0, &format!("# {c}"));
    }
    if let Trigger::Guard = job.trigger {
        line(w, 0, "# Make the team's cut-off job need it, in .gitlab-ci.yml:");
        line(w, 0, "#   cut-off:");
        line(w, 0, "#     needs: [hotfix-guard]");
        line(
            w,
            0,
            "# It runs in web and scheduled pipelines that are not the hotfix pipeline; give it the",
        );
        line(
            w,
            0,
            "# rules of your cut-off job so that only the pipelines cut-off runs in have it.",
        );
    }
    line(w, 0, &format!("{}:", job.name));
    line(w, 2, "extends: .hotfix");
    match &job.trigger {
        Trigger::Dispatch => {
            line(w, 2, "rules:");
            line(w, 4, &format!("- if: {}", scalar(HOTFIX_PIPELINE)));
        }
        Trigger::DispatchManual => {
            line(w, 2, "rules:");
            line(w, 4, &format!("- if: {}", scalar(HOTFIX_PIPELINE)));
            line(w, 6, "when: manual");
            line(
                w,
                2,
                "allow_failure: false           # the pipeline waits for it, blocked, not passed",
            );
        }
        Trigger::Tag { tags } => {
            line(w, 2, "rules:");
            for tag in tags {
                line(
                    w,
                    4,
                    &format!("- if: {}", scalar(&format!("$CI_COMMIT_TAG =~ {}", tag.regex()))),
                );
                if job.environment.is_some() {
                    line(w, 6, "when: manual");
                }
            }
            if job.environment.is_some() {
                line(w, 2, "allow_failure: false");
            }
        }
        Trigger::Guard => {
            line(w, 2, "rules:");
            line(w, 4, "- if: $HOTFIX_FIXES");
            line(w, 6, "when: never");
            line(
                w,
                4,
                &format!(
                    "- if: {}",
                    scalar("$CI_PIPELINE_SOURCE == \"web\" || $CI_PIPELINE_SOURCE == \"schedule\"")
                ),
            );
            line(w, 2, "needs: []");
            line(w, 2, "variables:");
            line(w, 4, "HOTFIX_GUARD_ACTION: cut-off");
        }
    }
    if let Some(needs) = job.needs {
        line(w, 2, &format!("needs: [{needs}]"));
    }
    if let Some(env) = &job.environment {
        if env.tier == super::Tier::Production {
            line(
                w,
                2,
                "# A protected environment: its approval rules (Settings > CI/CD > Protected",
            );
            line(w, 2, "# environments) decide who may run this job.");
        }
        line(w, 2, "environment:");
        line(w, 4, &format!("name: {}", scalar(&env.name)));
        line(w, 4, &format!("deployment_tier: {}", env.tier.as_str()));
        line(
            w,
            2,
            &format!("resource_group: {}", scalar(&format!("hotfix-{}", env.name))),
        );
    }
    line(w, 2, "script:");
    for s in &job.script {
        line(w, 4, &format!("- {}", scalar(s)));
    }
    if !job.artifacts.is_empty() {
        line(w, 2, "artifacts:");
        line(w, 4, "when: always");
        line(w, 4, "paths:");
        for a in &job.artifacts {
            line(w, 6, &format!("- {}", scalar(a)));
        }
    }
}

/// Returns the remote's name for `git remote set-url`; a URL or path in
/// `remote` has no name, and `origin` is the clone's.
fn remote_name(remote: &str) -> &str {
    if remote.contains(['/', ':']) {
        "origin"
    } else {
        remote
    }
}

fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}
