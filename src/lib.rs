//! faultline: find, name and fix the failure modes of a classifier.
//!
//! Data flows one way: files -> [`data`] (a validated [`data::Dataset`]) -> [`analysis`]
//! (failure directions, rankings, captions, checks, interventions) -> [`report`] (tables, JSON,
//! Markdown, exports). [`storage`] keeps the fit cache and the explorer's state in the user's
//! directories, above the core. [`demo`] generates a synthetic world in the same contract. Only
//! [`ui`] knows about terminals.

pub mod analysis;
pub mod cli;
pub mod data;
pub mod demo;
pub mod embed;
pub mod error;
pub(crate) mod files;
pub mod panic_guard;
pub(crate) mod report;
pub mod rng;
pub mod signals;
pub(crate) mod storage;
pub mod text;
pub mod ui;

pub use error::{Error, Result};
