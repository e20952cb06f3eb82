//! The core's own runtime: every async call of the bindings runs on it, whatever
//! executor the host polls the call's future from (Kotlin coroutines, Swift tasks,
//! Python's asyncio), and the sync service's task lives on it between calls.

use std::future::Future;
use std::sync::OnceLock;

use crate::error::MycaseError;

static RUNTIME: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();

/// The runtime, built on first use (two workers: a phone has few cores to spare).
pub(crate) fn runtime() -> Result<&'static tokio::runtime::Runtime, MycaseError> {
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("mycase-core")
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| MycaseError::Internal {
            reason: format!("MyCase could not start its runtime: {e}"),
        })
}

/// Runs `work` on the core's runtime and waits for it from any executor.
pub(crate) async fn run<T, F>(work: F) -> Result<T, MycaseError>
where
    T: Send + 'static,
    F: Future<Output = Result<T, MycaseError>> + Send + 'static,
{
    runtime()?
        .spawn(work)
        .await
        .map_err(|e| MycaseError::Internal {
            reason: if e.is_panic() {
                "MyCase stopped in the middle of that call".to_owned()
            } else {
                "that call was cancelled".to_owned()
            },
        })?
}
