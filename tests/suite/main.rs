//! Every integration test in one binary: the whole stack is linked once instead of once per
//! file, which was most of a cold CI run. Each module is one layer or concern:
//! `cli` (commands on generated data), `corpus` and `hostile` (bad input and faults), `readonly`
//! (inputs never modified), `demo` (the planted world), `diff` (two models compared), `embed` (ONNX Runtime against the Python
//! reference), `svm_fixture` (scikit-learn fixtures), `ui` (TestBackend snapshots) and `e2e`
//! (the real binary in tmux).

mod cli;
mod common;
mod corpus;
mod demo;
mod diff;
mod e2e;
mod embed;
mod hf;
mod hostile;
mod html;
mod modes;
mod numpy;
mod readonly;
mod stats_fixture;
mod svm_fixture;
mod ui;
