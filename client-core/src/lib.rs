//! MyCase client core.

pub mod journal;
