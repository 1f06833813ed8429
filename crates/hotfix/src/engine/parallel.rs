//! The services' steps side by side (`parallel_services = true`): each
//! service shipped is a lane, run in a thread of its own, its steps in their
//! order. The journal stays one chain: every write to it goes through the
//! lanes' shared journal, under one lock ([`Context::shared`]), so a lane
//! waits for another only while an entry is written or pushed, never while a
//! command or a poll runs. A production command still starts only once its
//! start is on the remote journal, and a failed lane stops the others at
//! their next step.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Mutex};
use std::time::Duration;

use crate::ambient::Ambient;
use crate::engine::execute::{one_step, Context, Progress, Ran, StepPosition};
use crate::engine::gates::Gate;
use crate::engine::WorkflowError;
use crate::journal::{Evidence, Journal, Run};
use crate::providers::http::Observation;
use crate::record::plan::{Step, StepName};

/// One service's steps still to run, in order.
pub(super) struct Lane {
    pub service: String,
    pub steps: Vec<Step>,
}

/// Returns the lanes that start at the run's next step: when the
/// configuration runs services side by side and the next step is a
/// service's, the services' steps from there to the first step of no
/// service, by service. `None` when fewer than two services have steps left.
pub(super) fn lanes(cx: &Context<'_>, run: &Run) -> Option<Vec<Lane>> {
    if !cx.config.parallel_services || cx.shared.is_some() {
        return None;
    }
    let steps = run.steps();
    let start = steps
        .iter()
        .position(|s| run.runs_step(s) && run.done(&s.name).is_none())?;
    let mut lanes: Vec<Lane> = Vec::new();
    for step in steps[start..].iter().take_while(|s| s.service.is_some()) {
        if !run.runs_step(step) || run.done(&step.name).is_some() {
            continue;
        }
        let service = step.service.clone().unwrap_or_default();
        match lanes.iter_mut().find(|l| l.service == service) {
            Some(lane) => lane.steps.push(step.clone()),
            None => lanes.push(Lane {
                service,
                steps: vec![step.clone()],
            }),
        }
    }
    (lanes.len() > 1).then_some(lanes)
}

/// What a lane tells the operator, carried to the thread that prints.
enum LaneEvent {
    Started(Step, StepPosition),
    Done(Step, StepPosition, Box<Evidence>),
    Output(StepName, String),
    Polling(String, u32, Duration, Box<Observation>),
    Notice(String),
}

/// A lane's progress: sent to the command's own, which prints it from the
/// thread that started the lanes; each line says which service it is.
struct LaneProgress {
    service: String,
    events: Mutex<mpsc::Sender<LaneEvent>>,
}

impl LaneProgress {
    fn send(&self, event: LaneEvent) {
        if let Ok(tx) = self.events.lock() {
            let _ = tx.send(event);
        }
    }
}

impl Progress for LaneProgress {
    fn step_started(&self, step: &Step, at: StepPosition) {
        self.send(LaneEvent::Started(step.clone(), at));
    }
    fn step_done(&self, step: &Step, at: StepPosition, evidence: &Evidence) {
        self.send(LaneEvent::Done(step.clone(), at, Box::new(evidence.clone())));
    }
    fn output(&self, step: &StepName, line: &str) {
        self.send(LaneEvent::Output(step.clone(), format!("{}: {line}", self.service)));
    }
    fn polling(&self, url: &str, attempt: u32, elapsed: Duration, seen: &Observation) {
        self.send(LaneEvent::Polling(
            url.to_string(),
            attempt,
            elapsed,
            Box::new(seen.clone()),
        ));
    }
    fn notice(&self, text: &str) {
        self.send(LaneEvent::Notice(format!("{}: {text}", self.service)));
    }
}

/// How a lane ended: the steps it did, and the gate it stopped at.
type LaneEnd = Result<(usize, Option<Gate>), WorkflowError>;

/// Runs `lanes` side by side until each is done, stops at a gate, or one
/// fails; returns the steps done and the first gate. `journal` is the
/// shared journal's final state after.
pub(super) fn run_lanes(
    cx: &Context<'_>,
    journal: &mut Journal,
    lanes: Vec<Lane>,
) -> Result<(usize, Option<Gate>), WorkflowError> {
    let shared = Mutex::new(journal.clone());
    let failed = AtomicBool::new(false);
    let (tx, rx) = mpsc::channel();
    let ends: Vec<LaneEnd> = std::thread::scope(|scope| {
        let handles: Vec<_> = lanes
            .into_iter()
            .map(|lane| {
                let progress = LaneProgress {
                    service: lane.service.clone(),
                    events: Mutex::new(tx.clone()),
                };
                let (shared, failed) = (&shared, &failed);
                let (git, config, redactor, stop) = (cx.git, cx.config, cx.redactor, cx.stop);
                let (operator, actor) = (cx.operator.clone(), cx.actor.clone());
                let (confirmed, sign_decisions) = (cx.confirmed, cx.sign_decisions);
                scope.spawn(move || {
                    // The clock and fault points of the process, one per lane (they are not shared).
                    let ambient = Ambient::from_env();
                    let lane_cx = Context {
                        git,
                        config,
                        ambient: &ambient,
                        operator,
                        actor,
                        progress: &progress,
                        redactor,
                        confirmed,
                        stop,
                        sign_decisions,
                        shared: Some(shared),
                    };
                    run_lane(&lane_cx, shared, failed, &lane.steps)
                })
            })
            .collect();
        drop(tx);
        for event in rx {
            replay(cx.progress, event);
        }
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(WorkflowError::BlockedOnResume {
                        reasons: "a service's lane panicked; `git hotfix status` shows what it did".into(),
                    })
                })
            })
            .collect()
    });
    *journal = shared.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut done = 0;
    let mut gate = None;
    let mut first_error = None;
    for end in ends {
        match end {
            Ok((n, g)) => {
                done += n;
                gate = gate.or(g);
            }
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok((done, gate)),
    }
}

fn replay(progress: &dyn Progress, event: LaneEvent) {
    match event {
        LaneEvent::Started(step, at) => progress.step_started(&step, at),
        LaneEvent::Done(step, at, evidence) => progress.step_done(&step, at, &evidence),
        LaneEvent::Output(step, line) => progress.output(&step, &line),
        LaneEvent::Polling(url, attempt, elapsed, seen) => progress.polling(&url, attempt, elapsed, &seen),
        LaneEvent::Notice(text) => progress.notice(&text),
    }
}

/// Returns the shared journal as it is now.
fn current(shared: &Mutex<Journal>) -> Journal {
    shared.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
}

/// Runs one service's steps, in order, each as a step run alone
/// ([`one_step`]); stops early when another lane failed.
fn run_lane(cx: &Context<'_>, shared: &Mutex<Journal>, failed: &AtomicBool, steps: &[Step]) -> LaneEnd {
    let mut done = 0;
    for step in steps {
        if failed.load(Ordering::SeqCst) {
            break;
        }
        let mut journal = current(shared);
        if journal.run.done(&step.name).is_some() {
            continue;
        }
        match one_step(cx, &mut journal, step) {
            Ok(Ran::Done) => done += 1,
            Ok(Ran::NotDone) => {}
            Ok(Ran::Gate(gate)) => return Ok((done, Some(gate))),
            Err(e) => {
                failed.store(true, Ordering::SeqCst);
                return Err(e);
            }
        }
    }
    Ok((done, None))
}
