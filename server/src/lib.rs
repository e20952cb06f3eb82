//! MyCase server.
