//! The hotfix pipeline as a GitHub Actions workflow,
//! `.github/workflows/hotfix.yml`.
//!
//! One file holds three entries: `workflow_dispatch` (the hotfix, run by
//! hand with its inputs), `push: tags:` (from-tag's production job in the
//! tag's run) and `workflow_call` (the guard, which the team's cut-off
//! workflow calls as a job its cut-off job `needs:`; GitHub's `needs` only
//! reaches jobs of the same run). Every job says which entry it belongs to
//! in its `if:`.

use super::{line, scalar, Job, Pipeline, Trigger};

/// The `if:` of the jobs of the hotfix run by hand. A called workflow sees
/// its caller's event, so the guard's input tells the guard apart.
const DISPATCHED: &str = "github.event_name == 'workflow_dispatch' && !inputs.guard_action";

/// Returns `pipeline` as the text of `.github/workflows/hotfix.yml`.
pub fn render(pipeline: &Pipeline) -> String {
    let token = &pipeline.token_env;
    let mut out = String::new();
    let w = &mut out;
    line(
        w,
        0,
        &format!(
            "# The hotfix workflow (strategy `{}`), written by `git hotfix ci --github`.",
            pipeline.strategy
        ),
    );
    line(
        w,
        0,
        "# Run it from Actions > hotfix > Run workflow on the main branch. The inputs are untrusted",
    );
    line(
        w,
        0,
        "# text: every step reads them from `env:` and passes them to git-hotfix as single",
    );
    line(
        w,
        0,
        "# \"$VARIABLE\" arguments; no `${{ inputs.* }}` is ever written into a `run:` script.",
    );
    line(w, 0, "#");
    line(
        w,
        0,
        "# Required reviewers are set on the `production` environment in the repository's settings",
    );
    line(
        w,
        0,
        "# (Settings > Environments > production > Required reviewers): the production job waits there.",
    );
    line(w, 0, "name: hotfix");
    line(w, 0, "");
    line(w, 0, "on:");
    line(w, 2, "workflow_dispatch:");
    line(w, 4, "inputs:");
    for input in &pipeline.inputs {
        line(w, 6, &format!("{}:", input.name));
        line(w, 8, &format!("description: {}", scalar(input.description)));
        line(w, 8, &format!("required: {}", input.required));
        if input.options.is_empty() {
            line(w, 8, "type: string");
            if !input.default.is_empty() {
                line(w, 8, &format!("default: {}", scalar(input.default)));
            }
        } else {
            line(w, 8, "type: choice");
            line(w, 8, &format!("default: {}", scalar(input.default)));
            line(w, 8, "options:");
            for o in input.options {
                line(w, 10, &format!("- {}", scalar(o)));
            }
        }
    }
    let tags: Vec<String> = pipeline
        .jobs
        .iter()
        .filter_map(|j| match &j.trigger {
            Trigger::Tag { tags } => Some(tags.iter().map(|t| t.glob()).collect::<Vec<_>>()),
            _ => None,
        })
        .flatten()
        .fold(Vec::new(), |mut all, t| {
            if !all.contains(&t) {
                all.push(t);
            }
            all
        });
    if tags.is_empty() {
        line(
            w,
            2,
            &format!(
                "# No `push: tags:`: strategy `{}` makes no hotfix tag, so production",
                pipeline.strategy
            ),
        );
        line(w, 2, "# is the hotfix-production job of the run started by hand.");
    } else {
        line(
            w,
            2,
            "# The hotfix tags: their run holds the production job. A tag pushed with GITHUB_TOKEN starts",
        );
        line(
            w,
            2,
            "# no workflow (GitHub's rule), so give the checkout of hotfix-start a token of a GitHub App or",
        );
        line(
            w,
            2,
            "# a fine-grained token (contents: write) when the tag's run is to start by itself.",
        );
        line(w, 2, "push:");
        line(w, 4, "tags:");
        for t in &tags {
            line(w, 6, &format!("- {}", scalar(t)));
        }
    }
    line(
        w,
        2,
        "# The guard, called from the team's cut-off workflow (see hotfix-guard below).",
    );
    line(w, 2, "workflow_call:");
    line(w, 4, "inputs:");
    line(w, 6, "guard_action:");
    line(w, 8, "description: The action the caller is about to run (cut-off)");
    line(w, 8, "required: true");
    line(w, 8, "type: string");
    line(w, 0, "");
    line(
        w,
        0,
        "# What git-hotfix does with GITHUB_TOKEN: push release, the journal and tags (contents),",
    );
    line(
        w,
        0,
        "# deployments and their statuses, the incident issue and its comments, review and backport",
    );
    line(
        w,
        0,
        "# pull requests, and workflow dispatches and pending deployments (actions).",
    );
    line(w, 0, "permissions:");
    for p in ["contents", "deployments", "issues", "pull-requests", "actions"] {
        line(w, 2, &format!("{p}: write"));
    }
    line(w, 0, "");
    line(w, 0, "jobs:");
    for (i, job) in pipeline.jobs.iter().enumerate() {
        if i > 0 {
            line(w, 0, "");
        }
        render_job(w, job, pipeline, token);
    }
    out
}

fn render_job(w: &mut String, job: &Job, pipeline: &Pipeline, token: &str) {
    for c in &job.comment {
        line(w, 2, &format!("# {c}"));
    }
    if let Trigger::Guard = job.trigger {
        line(w, 2, "# Make the team's cut-off job need it, in the cut-off workflow:");
        line(w, 2, "#   jobs:");
        line(w, 2, "#     hotfix-guard:");
        line(w, 2, "#       uses: ./.github/workflows/hotfix.yml");
        line(w, 2, "#       with: { guard_action: cut-off }");
        line(w, 2, "#     cut-off:");
        line(w, 2, "#       needs: hotfix-guard");
    }
    line(w, 2, &format!("{}:", job.name));
    let condition = match &job.trigger {
        Trigger::Dispatch | Trigger::DispatchManual => DISPATCHED.to_string(),
        Trigger::Tag { .. } => {
            "github.event_name == 'push' && startsWith(github.ref, 'refs/tags/') && !inputs.guard_action".into()
        }
        Trigger::Guard => "inputs.guard_action != ''".into(),
    };
    line(w, 4, &format!("if: {}", scalar(&condition)));
    if let Some(needs) = job.needs {
        line(w, 4, &format!("needs: {needs}"));
    }
    line(w, 4, "runs-on: ubuntu-latest");
    if let Trigger::Guard = job.trigger {
        line(w, 4, "permissions:");
        line(w, 6, "contents: read");
    }
    if let Some(env) = &job.environment {
        line(
            w,
            4,
            "# Waits for the environment's required reviewers (repository settings).",
        );
        line(w, 4, &format!("environment: {}", scalar(&env.name)));
        line(w, 4, "concurrency:");
        line(w, 6, &format!("group: {}", scalar(&format!("hotfix-{}", env.name))));
        line(w, 6, "cancel-in-progress: false");
    }
    line(w, 4, "env:");
    line(w, 6, &format!("{token}: ${{{{ secrets.GITHUB_TOKEN }}}}"));
    if job.reads_inputs {
        for input in &pipeline.inputs {
            line(w, 6, &format!("{}: ${{{{ inputs.{} }}}}", input.variable, input.name));
        }
    }
    if let Trigger::Guard = job.trigger {
        line(w, 6, "HOTFIX_GUARD_ACTION: ${{ inputs.guard_action }}");
    }
    line(w, 4, "steps:");
    line(w, 6, "- uses: actions/checkout@v4");
    line(w, 8, "with:");
    line(
        w,
        10,
        "fetch-depth: 0                # the whole history: plans read main, release and tags",
    );
    line(
        w,
        6,
        "# INSTALL git-hotfix: adapt this one step (a release download, a cached binary).",
    );
    line(w, 6, "- run: cargo install --locked git-hotfix");
    line(w, 6, "- name: the journal names the person who ran the workflow");
    line(w, 8, "run: |");
    line(w, 10, "git config user.name \"$GITHUB_ACTOR\"");
    line(
        w,
        10,
        "git config user.email \"$GITHUB_ACTOR_ID+$GITHUB_ACTOR@users.noreply.github.com\"",
    );
    line(w, 6, &format!("- name: {}", job.name));
    line(w, 8, "run: |");
    for s in &job.script {
        line(w, 10, s);
    }
    if !job.artifacts.is_empty() {
        line(w, 6, "- uses: actions/upload-artifact@v4");
        line(w, 8, "if: always()");
        line(w, 8, "with:");
        line(w, 10, &format!("name: {}", scalar(job.name)));
        line(w, 10, "path: |");
        for a in &job.artifacts {
            line(w, 12, a);
        }
    }
}
