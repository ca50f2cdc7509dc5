//! Per-class findings (ranking, captions, check, for every mode) and the shared modes' findings,
//! computed off the UI thread.
//!
//! The explorer asks for the selected class and its neighbours; a worker computes them newest
//! request first, so holding `j` through a thousand classes computes where the cursor lands,
//! not every class it passed. Results are kept: a class seen once redraws instantly.

use super::workers::{Message, Outbox, Pool};
use crate::analysis::findings::{
    class_findings, shared_findings, ClassFindings, FindingOptions, SharedFindings,
};
use crate::analysis::Model;
use crate::data::captions::CaptionBank;
use crate::data::Dataset;
use std::collections::{HashMap, HashSet};
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

    fn compute_shared(&self) -> Arc<Vec<SharedFindings>> {
        Arc::new(shared_findings(
            &self.dataset,
            &self.model,
            self.bank.as_deref(),
            &self.options,
        ))
    }
}

/// What the worker is asked for.
pub enum Request {
    Class(u32),
    Shared,
}

/// Findings by class for one fitted model.
pub struct Findings {
    inputs: Arc<Inputs>,
    worker: Option<Pool<Request>>,
    ready: HashMap<u32, Arc<ClassFindings>>,
    requested: HashSet<u32>,
    shared: Option<Arc<Vec<SharedFindings>>>,
    shared_requested: bool,
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
            shared: None,
            shared_requested: false,
        }
    }

    /// Computes on a worker thread, newest request first; results arrive in `outbox` as
    /// [`Message::Findings`].
    pub fn threaded(
        dataset: Arc<Dataset>,
        model: Arc<Model>,
        bank: Option<Arc<CaptionBank>>,
        options: FindingOptions,
        outbox: Outbox,
    ) -> Findings {
        let mut findings = Findings::synchronous(dataset, model, bank, options);
        let inputs = findings.inputs.clone();
        findings.worker = Some(Pool::new(1, usize::MAX, outbox, move |request| {
            Some(match request {
                Request::Class(class) => Message::Findings(class, inputs.compute(class)),
                Request::Shared => Message::Shared(inputs.compute_shared()),
            })
        }));
        findings
    }

    /// The shared modes' findings, if computed (empty when the dataset has none).
    pub fn shared(&self) -> Option<&Arc<Vec<SharedFindings>>> {
        self.shared.as_ref()
    }

    /// Asks for the shared modes' findings (synchronously: computes them now).
    pub fn request_shared(&mut self) {
        if self.shared.is_some() || self.shared_requested {
            return;
        }
        match &self.worker {
            None => self.shared = Some(self.inputs.compute_shared()),
            Some(worker) => {
                self.shared_requested = true;
                worker.submit(Request::Shared);
            }
        }
    }

    /// Takes in the shared findings the worker finished.
    pub fn insert_shared(&mut self, found: Arc<Vec<SharedFindings>>) {
        self.shared = Some(found);
    }

    /// The class's findings, if computed.
    pub fn get(&self, class: u32) -> Option<&Arc<ClassFindings>> {
        self.ready.get(&class)
    }

    /// Asks for the class's findings (synchronously: computes them now).
    pub fn request(&mut self, class: u32) {
        if self.ready.contains_key(&class) {
            return;
        }
        match &self.worker {
            None => {
                let found = self.inputs.compute(class);
                self.ready.insert(class, found);
            }
            Some(worker) => {
                if self.requested.insert(class) {
                    worker.submit(Request::Class(class));
                }
            }
        }
    }

    /// Takes in what the worker finished.
    pub fn insert(&mut self, class: u32, found: Arc<ClassFindings>) {
        self.ready.insert(class, found);
    }
}
