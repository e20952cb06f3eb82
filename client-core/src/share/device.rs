//! Making, listing and revoking shares from a device; fetching and opening a link.
