//! faultline: find, name and fix the failure modes of a classifier.
//!
//! Data flows one way: files -> [`data`] (a validated [`data::Dataset`]) -> [`analysis`]
//! (failure directions, rankings, captions, checks, interventions) -> [`report`] (tables, JSON,
//! Markdown, exports). [`demo`] generates a synthetic world in the same contract. Nothing here
//! knows about terminals.

pub mod analysis;
pub mod cli;
pub mod data;
pub mod demo;
pub mod embed;
pub mod error;
pub mod files;
pub mod panic_guard;
pub mod report;
pub mod rng;
pub mod signals;
pub mod text;
pub mod ui;

pub use error::{Error, Result};
