//! The kit's CLI runner (`mycase_tests::cli`) on this crate's `mycase` binary,
//! under the names the tests use: Cargo names the binary's path
//! (`CARGO_BIN_EXE_mycase`) only to this crate's own tests.

use std::path::Path;
use std::process::{Command, Output};

use mycase_tests::cli::Mycase;
pub use mycase_tests::cli::{assert_owner_only, join_args, output, server_args, stdout_of, PASS};
pub use mycase_tests::server::start_server;
use serde_json::Value;

pub const MYCASE: Mycase = Mycase::new(env!("CARGO_BIN_EXE_mycase"));

/// The `mycase` binary on `home` in a clean environment (see [`Mycase::command`]).
pub fn mycase(home: Option<&Path>, args: &[&str]) -> Command {
    MYCASE.command(home, args)
}

pub async fn run(home: &Path, args: &[&str]) -> Output {
    MYCASE.run(home, args).await
}

/// Stdout of a run that must succeed.
pub async fn ok(home: &Path, args: &[&str]) -> String {
    MYCASE.ok(home, args).await
}

pub async fn ok_json(home: &Path, args: &[&str]) -> Value {
    MYCASE.ok_json(home, args).await
}

/// Pairs `new` to `existing` over the CLI (see [`Mycase::pair_cli`]).
pub async fn pair_cli(
    server: &mycase_server::RunningServer,
    existing: &Path,
    new: &Path,
    name: &str,
) -> (Value, Value) {
    MYCASE.pair_cli(server, existing, new, name).await
}
