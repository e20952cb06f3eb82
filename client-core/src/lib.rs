//! MyCase client core.
