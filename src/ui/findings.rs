//! Per-class findings (ranking, captions, check), computed off the UI thread.
//!
//! The explorer asks for the selected class and its neighbours; a worker computes them newest
//! request first, so holding `j` through a thousand classes computes where the cursor lands,
//! not every class it passed. Results are kept: a class seen once redraws instantly.

use super::workers::{Message, Outbox, Pool};
use crate::analysis::findings::{class_findings, ClassFindings, FindingOptions};
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
}

/// Findings by class for one fitted model.
pub struct Findings {
    inputs: Arc<Inputs>,
    worker: Option<Pool<u32>>,
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
        findings.worker = Some(Pool::new(1, usize::MAX, outbox, move |class| {
            Some(Message::Findings(class, inputs.compute(class)))
        }));
        findings
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
                    worker.submit(class);
                }
            }
        }
    }

    /// Takes in what the worker finished.
    pub fn insert(&mut self, class: u32, found: Arc<ClassFindings>) {
        self.ready.insert(class, found);
    }
}
