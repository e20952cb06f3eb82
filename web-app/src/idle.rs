//! Idle lock on the server's side: when no signed-in request has come for
//! `App::idle_lock_minutes`, MyCase locks, so a closed or forgotten tab does not
//! keep the keys in memory. (The page's own timer, in app.js, saves a draft and
//! locks a little earlier; this one is the backstop.) The live event stream does
//! not count as activity: an open tab nobody touches still locks.

use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use crate::web::Web;

#[derive(Debug)]
pub struct IdleClock {
    last_request: Mutex<Instant>,
    touched: Notify,
}

impl IdleClock {
    pub fn new() -> IdleClock {
        IdleClock {
            last_request: Mutex::new(Instant::now()),
            touched: Notify::new(),
        }
    }

    /// A signed-in request came now.
    pub fn touch(&self) {
        *self.lock() = Instant::now();
        self.touched.notify_one();
    }

    fn last_request(&self) -> Instant {
        *self.lock()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Instant> {
        match self.last_request.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

fn idle_limit(web: &Web) -> Duration {
    // Zero would lock between two clicks; a minute is the shortest the app keeps.
    Duration::from_secs(60 * u64::from(web.app().idle_lock_minutes().max(1)))
}

/// Runs for as long as the server does.
pub async fn watch(web: Web) {
    loop {
        let deadline = web.idle().last_request() + idle_limit(&web);
        if Instant::now() < deadline {
            tokio::time::sleep_until(deadline).await;
            continue;
        }
        if web.app().is_unlocked() {
            web.lock().await;
        }
        // Nothing to do until someone comes back (and perhaps unlocks).
        web.idle().touched.notified().await;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::core_app::{App, AppOptions, NewJournal};
    use crate::handles::HandleKind;
    use mycase_core::crypto::passphrase::KdfParams;
    use mycase_tests::server::TestServer;

    /// An unlocked journal on a real server; the clock is paused afterwards, so
    /// minutes pass at once.
    async fn unlocked_web(server: &TestServer) -> (Web, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let options = AppOptions {
            kdf_params: KdfParams::MINIMUM,
        };
        let app = App::open_with(dir.path().join("home"), options).unwrap();
        app.create_journal(NewJournal {
            server_url: server.url().to_owned(),
            ca_cert_pem: Some(server.ca_pem().to_owned()),
            device_name: "laptop".to_owned(),
            passphrase: zeroize::Zeroizing::new("correct horse battery staple".to_owned()),
            invite: None,
        })
        .await
        .unwrap();
        assert!(app.is_unlocked());
        (Web::new(app, 1).0, dir)
    }

    #[tokio::test]
    async fn locks_after_the_idle_minutes_and_a_request_postpones_it() {
        let server = TestServer::start().await;
        let (web, _home) = unlocked_web(&server).await;
        web.app().set_idle_lock_minutes(5).unwrap();
        let handle = web.handles().handle(HandleKind::Entry, "entry-1");
        let mut locked = web.locked_events();
        tokio::time::pause();
        let start = Instant::now();
        web.idle().touch();
        tokio::spawn(watch(web.clone()));

        tokio::time::sleep(Duration::from_secs(4 * 60 + 50)).await;
        assert!(web.app().is_unlocked(), "locked before 5 minutes");
        web.idle().touch();

        // The paused clock runs forward to the watchdog's deadline by itself.
        locked.recv().await.unwrap();
        let idle_for = Instant::now() - start;
        assert!(idle_for >= Duration::from_secs(9 * 60 + 50), "{idle_for:?}");
        assert!(idle_for < Duration::from_secs(10 * 60), "{idle_for:?}");
        assert!(!web.app().is_unlocked());
        assert!(web.handles().resolve(HandleKind::Entry, &handle).is_err());
    }

    #[tokio::test]
    async fn follows_a_changed_idle_time() {
        let server = TestServer::start().await;
        let (web, _home) = unlocked_web(&server).await;
        web.app().set_idle_lock_minutes(1).unwrap();
        let mut locked = web.locked_events();
        tokio::time::pause();
        let start = Instant::now();
        web.idle().touch();
        tokio::spawn(watch(web.clone()));
        locked.recv().await.unwrap();
        let idle_for = Instant::now() - start;
        assert!(idle_for >= Duration::from_secs(60) && idle_for < Duration::from_secs(61));
        assert!(!web.app().is_unlocked());
    }
}
