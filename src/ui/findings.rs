//! Per-class findings (ranking, captions, check), computed off the UI thread.
//!
//! The explorer asks for the selected class and its neighbours; a worker computes them newest
//! request first, so holding `j` through a thousand classes computes where the cursor lands,
//! not every class it passed. Results are kept: a class seen once redraws instantly.

use crate::analysis::findings::{class_findings, ClassFindings, FindingOptions};
use crate::analysis::Model;
use crate::data::captions::CaptionBank;
use crate::data::Dataset;
use std::collections::{HashMap, HashSet};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Arc;

struct Inputs {
    dataset: Arc<Dataset>,
    model: Arc<Model>,
    bank: Option<Arc<CaptionBank>>,
    options: FindingOptions,
}

impl Inputs {
    fn compute(&self, class: u32) -> Arc<ClassFindings> {
        Arc::new(class_findings(
            &self.dataset,
            &self.model,
            self.bank.as_deref(),
            class,
            &self.options,
        ))
    }
}

struct Worker {
    requests: Sender<u32>,
    results: Receiver<(u32, Arc<ClassFindings>)>,
}

/// Findings by class for one fitted model.
pub struct Findings {
    inputs: Arc<Inputs>,
    worker: Option<Worker>,
    ready: HashMap<u32, Arc<ClassFindings>>,
    requested: HashSet<u32>,
}

impl Findings {
    /// Computes on demand, on the caller's thread (tests, headless use).
    pub fn synchronous(
        dataset: Arc<Dataset>,
        model: Arc<Model>,
        bank: Option<Arc<CaptionBank>>,
        options: FindingOptions,
    ) -> Findings {
        Findings {
            inputs: Arc::new(Inputs {
                dataset,
                model,
                bank,
                options,
            }),
            worker: None,
            ready: HashMap::new(),
            requested: HashSet::new(),
        }
    }

    /// Computes on a worker thread; `get` answers None until [`Findings::poll`] brings it in.
    pub fn threaded(
        dataset: Arc<Dataset>,
        model: Arc<Model>,
        bank: Option<Arc<CaptionBank>>,
        options: FindingOptions,
    ) -> Findings {
        let mut findings = Findings::synchronous(dataset, model, bank, options);
        let (requests, inbox) = channel::<u32>();
        let (outbox, results) = channel();
        let inputs = findings.inputs.clone();
        std::thread::spawn(move || {
            // A stack: the newest request is where the cursor is now.
            let mut pending: Vec<u32> = Vec::new();
            loop {
                pending.extend(inbox.try_iter());
                let class = match pending.pop() {
                    Some(class) => class,
                    // Ends when the app drops its sender (a new model or quitting).
                    None => match inbox.recv() {
                        Ok(class) => class,
                        Err(_) => return,
                    },
                };
                if outbox.send((class, inputs.compute(class))).is_err() {
                    return;
                }
            }
        });
        findings.worker = Some(Worker { requests, results });
        findings
    }

    /// The class's findings if ready; otherwise asks for them (or, synchronously, computes them).
    pub fn get(&mut self, class: u32) -> Option<Arc<ClassFindings>> {
        if let Some(found) = self.ready.get(&class) {
            return Some(found.clone());
        }
        match &self.worker {
            None => {
                let found = self.inputs.compute(class);
                self.ready.insert(class, found.clone());
                Some(found)
            }
            Some(worker) => {
                if self.requested.insert(class) {
                    let _ = worker.requests.send(class);
                }
                None
            }
        }
    }

    /// Asks for a class ahead of need (the neighbours of the cursor); no-op when synchronous.
    pub fn prefetch(&mut self, class: u32) {
        if self.worker.is_some() && !self.ready.contains_key(&class) {
            let _ = self.get(class);
        }
    }

    pub fn is_ready(&self, class: u32) -> bool {
        self.ready.contains_key(&class)
    }

    /// Takes in what the worker finished; true when something arrived.
    pub fn poll(&mut self) -> bool {
        let Some(worker) = &self.worker else {
            return false;
        };
        let mut arrived = false;
        for (class, found) in worker.results.try_iter() {
            self.ready.insert(class, found);
            arrived = true;
        }
        arrived
    }
}
