//! The plan as data: what a hotfix will do and the checks that say whether it
//! is safe. `plan` prints it; `start` journals it and carries it out.

use serde::{Deserialize, Serialize};

use crate::git::{CommitSummary, FileChange, Oid};
pub use crate::pick::dependency::PathDependency;
pub use crate::pick::names::NameDependency;
use crate::providers::production::ProductionSha;
pub use crate::record::step::{Action, RefMove, Step, StepName, Steps};

/// The commit that makes release's tree equal production's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestoreCommit {
    pub commit: Oid,
    /// The release tip it sits on.
    pub parent: Oid,
    /// Equal to the production commit's tree.
    pub tree: Oid,
    /// What release loses: the work it holds that production does not run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub takes_out: Option<TakenOut>,
}

/// What a restore takes out of release: the unreleased work that was on
/// release, to land again after the hotfix.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TakenOut {
    pub files: usize,
    /// Line counts, left out when the restore takes out more than
    /// [`TakenOut::COUNTED_FILES`] files: counting them would cost what the
    /// fix does not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lines_added: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lines_removed: Option<u64>,
    /// The commits release has and production lacks, newest first (at most 100).
    pub commits: Vec<CommitSummary>,
    /// How many there are in all.
    pub commits_total: usize,
}

impl TakenOut {
    /// Up to this many files, the lines are counted too.
    pub const COUNTED_FILES: usize = 100;

    /// Returns "+A -R lines", or that they were not counted.
    pub fn lines(&self) -> String {
        match (self.lines_added, self.lines_removed) {
            (Some(a), Some(r)) => format!("+{a} -{r} lines"),
            _ => "lines not counted".into(),
        }
    }
}

/// How a fix lands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PickStatus {
    /// git's merge applied it; a commit is made.
    Clean,
    /// The merge conflicts: the run stops here for `git hotfix resolve`.
    Conflict,
    /// The conflict was resolved by a person; a commit is made of their tree.
    Resolved,
    /// The change is already on the target (an empty result, or a production
    /// commit with the same patch-id): skipped, no commit.
    AlreadyApplied,
    /// Comes after an unresolved conflict; picked once it is resolved.
    Pending,
}

impl PickStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PickStatus::Clean => "clean",
            PickStatus::Conflict => "conflict",
            PickStatus::Resolved => "resolved",
            PickStatus::AlreadyApplied => "already-applied",
            PickStatus::Pending => "pending",
        }
    }

    /// Returns true when the pick becomes a commit on release.
    pub fn is_applied(self) -> bool {
        matches!(self, PickStatus::Clean | PickStatus::Resolved)
    }
}

/// A person's resolution of a conflicting pick: the tree they made of the
/// fix on a target tree. Keyed by the target's tree, not a commit, so it
/// still holds when release moves and the run is rebuilt on the new tip.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resolution {
    pub fix: Oid,
    pub onto_tree: Oid,
    pub tree: Oid,
    /// The paths that conflicted.
    pub conflicts: Vec<String>,
}

/// One fix cherry-picked onto the restored baseline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pick {
    pub fix: Oid,
    pub subject: String,
    /// The parent the change is taken against (mainline for a merge).
    pub base: Oid,
    /// `Some(n)` when the fix is a merge picked with `-m n`.
    pub mainline: Option<u32>,
    pub status: PickStatus,
    /// The cherry-pick commit, for a clean pick.
    pub commit: Option<Oid>,
    /// The tree after this pick (with conflict markers on a conflict).
    pub tree: Oid,
    /// Paths the fix changes.
    pub touched: Vec<String>,
    /// Paths the merge changed in the fix's place because the target renamed
    /// the path the fix changes (a file or directory rename, as git's merge
    /// follows them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub placed: Vec<String>,
    /// Paths that conflict (or conflicted, for a resolved pick).
    pub conflicts: Vec<String>,
    /// Unreleased commits that changed the conflicting paths, or that the
    /// dependency findings name.
    pub unreleased: Vec<CommitSummary>,
    /// Paths where the fix's hunks overlap lines production lacks, with the
    /// unreleased commits that wrote them: a dependency.
    #[serde(default)]
    pub dependencies: Vec<PathDependency>,
    /// Paths the fix changes where unreleased work changed other lines.
    #[serde(default)]
    pub same_file: Vec<PathDependency>,
    /// Names the fix's added lines use that only unreleased work defines:
    /// a dependency.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub uses_unreleased: Vec<NameDependency>,
    /// The production commit that already carries this change (same patch-id).
    #[serde(default)]
    pub applied_as: Option<CommitSummary>,
    /// The commit the pick sits on (its target), when it was attempted.
    #[serde(default)]
    pub onto: Option<Oid>,
    /// The target's tree, the key of a resolution.
    #[serde(default)]
    pub onto_tree: Option<Oid>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    Pass,
    Warn,
    Block,
}

/// One thing the plan verified, with what it found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    pub name: String,
    pub status: CheckStatus,
    /// One short line: at most a few commits and paths, the rest counted.
    pub detail: String,
    /// Every commit the check names (the detail shows the first few).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub commits: Vec<CommitSummary>,
    /// Every path the check names (the detail shows the first few).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
}

impl Check {
    pub fn new(name: &str, status: CheckStatus, detail: impl Into<String>) -> Check {
        Check {
            name: name.to_string(),
            status,
            detail: detail.into(),
            commits: Vec::new(),
            paths: Vec::new(),
        }
    }

    /// Returns the check with every commit it names attached.
    pub fn with_commits(mut self, commits: Vec<CommitSummary>) -> Check {
        self.commits = commits;
        self
    }

    /// Returns the check with every path it names attached.
    pub fn with_paths(mut self, paths: Vec<String>) -> Check {
        self.paths = paths;
        self
    }
}

/// At most this many commits or paths are written out in a check's detail.
pub const LISTED: usize = 3;

/// At most this many characters of a commit subject go in a check's detail.
pub const SUBJECT_CHARS: usize = 80;

/// Returns `text` cut to `max` characters, ending in `…` when cut.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// Room for a check's detail: with the status and the name before it, a
/// human line stays within 400 characters.
pub const DETAIL_MAX: usize = 350;

/// Returns "id subject; id subject; id subject and N more": the first few
/// commits, subjects shortened, the rest counted.
pub fn list_commits(commits: &[CommitSummary]) -> String {
    list_commits_within(commits, LISTED * (SUBJECT_CHARS + 10))
}

/// Like [`list_commits`], with subjects cut further so the list fits in
/// `room` characters (each keeps at least 16).
pub fn list_commits_within(commits: &[CommitSummary], room: usize) -> String {
    // As many commits as fit with subjects of 40 characters or more, at least one.
    let shown = commits.len().min(LISTED).min((room / 52).max(1)).max(1);
    let more = if commits.len() > shown { 16 } else { 0 };
    let per = (room.saturating_sub(more) / shown)
        .saturating_sub(10)
        .clamp(16, SUBJECT_CHARS);
    let listed: Vec<String> = commits
        .iter()
        .take(shown)
        .map(|c| format!("{} {}", c.id.short(), shorten(&c.subject, per)))
        .collect();
    let listed = listed.join("; ");
    if commits.len() > shown {
        format!("{listed} and {} more", commits.len() - shown)
    } else {
        listed
    }
}

/// Returns `head`, the commits listed in the room left, then `tail`: a
/// detail of at most [`DETAIL_MAX`] characters unless `head` and `tail`
/// alone are longer.
pub fn detail_with_commits(head: &str, commits: &[CommitSummary], tail: &str) -> String {
    let room = DETAIL_MAX.saturating_sub(head.chars().count() + tail.chars().count());
    format!("{head}{}{tail}", list_commits_within(commits, room))
}

/// Returns the first few paths joined with ", ", the rest counted.
pub fn list_paths<S: AsRef<str>>(paths: &[S]) -> String {
    let shown: Vec<String> = paths.iter().take(LISTED).map(|p| shorten(p.as_ref(), 120)).collect();
    with_more(shown.join(", "), paths.len())
}

fn with_more(shown: String, total: usize) -> String {
    if total > LISTED {
        format!("{shown} and {} more", total - LISTED)
    } else {
        shown
    }
}

/// How big the hotfix is, from production's tree to release's.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    pub files: usize,
    pub lines_added: u64,
    pub lines_removed: u64,
    pub changes: Vec<ScopeChange>,
    /// Changed paths that match a migration glob.
    pub migrations: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeChange {
    pub path: String,
    pub added: Option<u64>,
    pub removed: Option<u64>,
}

impl From<FileChange> for ScopeChange {
    fn from(c: FileChange) -> Self {
        ScopeChange {
            path: c.path,
            added: c.added,
            removed: c.removed,
        }
    }
}

/// Everything a hotfix will do, computed without moving any ref.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub strategy: String,
    pub remote: String,
    pub release_branch: String,
    pub main_branch: String,
    /// Release's tip as read from the remote: the compare-and-swap expectation.
    pub release_tip: Oid,
    pub main_tip: Oid,
    pub production: ProductionSha,
    pub production_tree: Oid,
    /// `None` when release already equals production.
    pub restore: Option<RestoreCommit>,
    pub picks: Vec<Pick>,
    /// The tree release will have.
    pub release_tree: Oid,
    /// The commit release will point to.
    pub new_tip: Oid,
    /// Commits the strategy adds after the picks, oldest first (from-tag's
    /// version bump).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra_commits: Vec<Oid>,
    pub scope: Scope,
    pub checks: Vec<Check>,
    /// What the run does and what its rollback does, in order, each step
    /// with its parameters.
    pub steps: Steps,
    /// What a from-tag plan decided: the product, its production tag, the
    /// version and the way the fix reaches main.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_tag: Option<Box<TagRelease>>,
    /// What a merge-main plan decided: the fix on main, the commit deployed
    /// and every commit it ships beyond the fix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merge_main: Option<Box<MainDeploy>>,
    /// Every service of `[[services]]`, whether the run ships it and why;
    /// empty without `[[services]]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<ServiceTarget>,
    /// What a trunk plan decided (seed 004): the standard path or the
    /// exceptional one, and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trunk: Option<Box<TrunkRelease>>,
}

/// Which of seed 004's two ways a trunk hotfix takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TrunkPath {
    /// Main since production is releasable: the fix merged to main ships
    /// with the team's standard release.
    Standard,
    /// Main is not releasable: a hotfix branch from production's commit,
    /// the hotfix staging environment, a hotfix tag.
    Exceptional,
}

impl TrunkPath {
    pub fn as_str(self) -> &'static str {
        match self {
            TrunkPath::Standard => "standard",
            TrunkPath::Exceptional => "exceptional",
        }
    }
}

/// Whether main was releasable when the plan was made, and who said so.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MainReleasable {
    /// Main's tip the verdict is about.
    pub main: Oid,
    pub releasable: bool,
    /// Who decided: the command as configured, or `forge`.
    pub source: String,
    /// What it said: `exited 1: <output tail>`, `pipeline #12 is failed: <url>`.
    pub detail: String,
}

/// A trunk hotfix (seed 004).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrunkRelease {
    pub path: TrunkPath,
    /// Why that path, in one line.
    pub why: String,
    pub releasable: MainReleasable,
    /// The fixes production must contain once the hotfix is out.
    pub fixes: Vec<Oid>,
    /// Exceptional path: production's version tag, its version, the
    /// hotfix tag and the hotfix branch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub production_tag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub production_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// Exceptional path: how the fix reaches main.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub way_back: Option<WayBack>,
}

/// A service of `[[services]]` and what a plan does with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceTarget {
    pub name: String,
    /// True when the run ships it: its steps are in the plan.
    pub ships: bool,
    /// Why it ships, or why not (`--service portal`, `the fixes touch
    /// portal/app.js`, `deploy_all_services`).
    pub why: String,
    /// The branch it is deployed from.
    pub release_branch: String,
    /// The commit it runs in production, as its sources said, when read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub production: Option<ProductionSha>,
    /// True when the hotfix ships it in a run of its own: it is deployed
    /// from another release branch than this run's.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub own_run: bool,
}

/// A merge-main hotfix (seed 002): production goes from the production
/// commit to main's commit that holds the fix.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MainDeploy {
    /// The fix as given: a commit on main (a merge commit for a merge request).
    pub fix: CommitSummary,
    /// The merge request the fix was named by (`--fix !42`), as the forge has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<MergedRequest>,
    /// The commit production is deployed to.
    pub target: Oid,
    /// Why that commit: the fix itself (it is on main's first-parent line),
    /// or the first commit of main's first-parent line that contains it.
    pub target_is_fix: bool,
    /// Every commit `production..target` holds, newest first (at most
    /// [`MainDeploy::LISTED`]), and how many there are.
    pub ships: Vec<CommitSummary>,
    pub ships_total: usize,
    /// Main's first-parent commits `production..target`, oldest first.
    pub first_parent: Vec<CommitSummary>,
    /// The commits shipped that are not the fix's own (`fix^1..fix`): the
    /// deploy carries them too. `start` refuses them without `--allow-extra`.
    pub beyond_fix: Vec<CommitSummary>,
    /// The changed paths that are migrations (`[migrations] paths`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub migrations: Vec<String>,
}

impl MainDeploy {
    /// At most this many shipped commits are kept in the plan.
    pub const LISTED: usize = 200;
}

/// A merge request (GitLab) or pull request (GitHub) that holds the fix,
/// and main's pipeline for its merge commit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergedRequest {
    /// As the operator gave it (`!42`).
    pub reference: String,
    pub iid: u64,
    pub web_url: String,
    /// The forge's state word (`merged`, `opened`, ...).
    pub state: String,
    /// The commit the merge made on main (`merge_commit_sha`, or
    /// `squash_commit_sha` when the request was squashed without a merge commit).
    pub commit: Oid,
    /// Main's newest pipeline for that commit, if there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipeline: Option<CommitPipeline>,
}

/// A pipeline (GitLab) or the commit's checks (GitHub) for one commit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitPipeline {
    /// GitLab's pipeline id; 0 for GitHub's combined checks.
    pub id: u64,
    /// `success`, `failed`, `running`, ... as the forge says.
    pub status: String,
    pub web_url: String,
}

/// A from-tag hotfix (seed 003): a product's production tag, the PATCH
/// release made from it, and the fix's way back to main.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagRelease {
    pub product: String,
    /// The tag production runs, and its version.
    pub production_tag: String,
    pub production_version: String,
    /// The hotfix's version, tag and branch.
    pub version: String,
    pub tag: String,
    pub branch: String,
    /// Why the version is not production's PATCH + 1, when it is not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// The store build number every pubspec gets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<u64>,
    /// The version commit, after the picks.
    pub version_commit: Oid,
    /// The version files raised, and the CHANGELOG the entry went into.
    pub version_files: Vec<VersionBump>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changelog: Option<String>,
    /// How the fix reaches main, if it can.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub way_back: Option<WayBack>,
    /// True while the run waits for a person to commit the fix on the
    /// hotfix branch (`start` without `--fix`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub awaiting_fix: bool,
    /// The hotfix branch's tip the fixes were pushed to, when the plan was
    /// made again from them: the version commit goes on top of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch_tip: Option<Oid>,
    /// True when the product has a tag of a higher version than the
    /// hotfix's (an older line is hotfixed): the forge's release of the new
    /// tag must not become the latest.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub older_line: bool,
}

/// One version file raised by a from-tag hotfix.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionBump {
    pub path: String,
    pub from: String,
    pub to: String,
}

/// How a from-tag hotfix's fix reaches main.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum WayBack {
    /// Main has not moved past the tag: it fast-forwards to the hotfix
    /// (seed 003's `merge --ff-only`).
    FastForward { main: RefMove },
    /// Main moved on: the fixes (not the version bump) picked onto main, on a
    /// branch of their own for review, as a backport is.
    Backport { branch: RefMove, commits: Vec<Oid> },
    /// Main already has every fix.
    OnMain,
    /// A fix conflicts on main: a person brings it there.
    ByHand { fix: Oid, conflicts: Vec<String> },
}

impl Plan {
    /// Returns true when no check blocks the hotfix.
    pub fn is_safe(&self) -> bool {
        !self.checks.iter().any(|c| c.status == CheckStatus::Block)
    }

    pub fn blocking(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| c.status == CheckStatus::Block)
    }

    /// Returns how the fix reaches main, for a strategy that builds a
    /// branch of its own (from-tag, trunk's exceptional path).
    pub fn way_back(&self) -> Option<&WayBack> {
        match (&self.from_tag, &self.trunk) {
            (Some(t), _) => t.way_back.as_ref(),
            (None, Some(t)) => t.way_back.as_ref(),
            (None, None) => None,
        }
    }

    /// Returns true when the run ships a commit of main, which goes on
    /// growing (merge-main, trunk's standard path): main must still hold it,
    /// not stand still at it.
    pub fn ships_from_main(&self) -> bool {
        self.merge_main.is_some() || self.trunk.as_ref().is_some_and(|t| t.path == TrunkPath::Standard)
    }

    /// Returns the names of the services the run ships, in order.
    pub fn shipped_services(&self) -> impl Iterator<Item = &str> {
        self.services.iter().filter(|s| s.ships).map(|s| s.name.as_str())
    }

    /// Returns the picks that become commits, in order.
    pub fn applied_picks(&self) -> impl Iterator<Item = &Pick> {
        self.picks.iter().filter(|p| p.status.is_applied())
    }

    /// Returns the first pick that conflicts and has no resolution yet: the
    /// run cannot build release past it.
    pub fn conflict(&self) -> Option<&Pick> {
        self.picks.iter().find(|p| p.status == PickStatus::Conflict)
    }

    /// Returns the commits release gains, oldest first.
    pub fn new_commits(&self) -> Vec<Oid> {
        let restore = self.restore.iter().map(|r| r.commit.clone());
        restore
            .chain(self.applied_picks().filter_map(|p| p.commit.clone()))
            .chain(self.extra_commits.iter().cloned())
            .collect()
    }
}
