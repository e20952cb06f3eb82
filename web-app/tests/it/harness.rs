//! A `LocalServer` in this process on 127.0.0.1:0, over a home that is empty or
//! holds a journal set up against a real MyCase server.

use mycase_core::app::{App, AppOptions, NewJournal};
use mycase_core::crypto::passphrase::KdfParams;
use mycase_tests::server::TestServer;
use mycase_web_app::{LocalServer, Web};
use tokio::sync::oneshot;
use zeroize::Zeroizing;

use crate::raw_http::{send, Reply, Request};

pub const PASS: &str = "correct horse battery staple";

pub struct Running {
    pub port: u16,
    pub url: String,
    pub web: Web,
    pub home: std::path::PathBuf,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    _dir: tempfile::TempDir,
    _server: Option<TestServer>,
}

fn options() -> AppOptions {
    AppOptions {
        kdf_params: KdfParams::MINIMUM,
    }
}

pub async fn serve(app: App, dir: tempfile::TempDir, server: Option<TestServer>) -> Running {
    let home = app.home().to_path_buf();
    let local = LocalServer::bind(app, 0).await.unwrap();
    let (port, url, web) = (local.port(), local.url(), local.web());
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(local.serve(async {
        let _ = stopped.await;
    }));
    Running {
        port,
        url,
        web,
        home,
        stop: Some(stop),
        task: Some(task),
        _dir: dir,
        _server: server,
    }
}

/// An app over a home with nothing set up.
pub async fn start_empty() -> Running {
    let dir = tempfile::tempdir().unwrap();
    let app = App::open_with(dir.path().join("home"), options()).unwrap();
    serve(app, dir, None).await
}

/// An app over a journal set up against a real server, locked.
pub async fn start_set_up() -> Running {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let app = App::open_with(dir.path().join("home"), options()).unwrap();
    app.create_journal(NewJournal {
        server_url: server.url().to_owned(),
        ca_cert_pem: Some(server.ca_pem().to_owned()),
        device_name: "laptop".to_owned(),
        passphrase: Zeroizing::new(PASS.to_owned()),
        invite: None,
    })
    .await
    .unwrap();
    app.lock().await;
    serve(app, dir, Some(server)).await
}

impl Running {
    pub fn token(&self) -> String {
        self.url.split("token=").nth(1).unwrap().to_owned()
    }

    /// The MyCase server's receipt key (hex), for checking exports.
    pub fn server_key_hex(&self) -> String {
        self._server.as_ref().unwrap().server_key_hex()
    }

    pub async fn send(&self, request: Request) -> Reply {
        send(self.port, &request).await
    }

    /// Spends the launch token: the `Cookie` header value of the session.
    pub async fn sign_in(&self) -> String {
        let reply = self
            .send(Request::get(&format!("/login?token={}", self.token())))
            .await;
        assert_eq!(reply.status, 303, "{}", reply.body);
        let set_cookie = reply.header("set-cookie").unwrap();
        set_cookie.split(';').next().unwrap().to_owned()
    }

    /// A state-changing request as app.js sends it.
    pub fn post(&self, path: &str, cookie: &str) -> Request {
        Request::post(path)
            .header("Cookie", cookie)
            .header("Origin", &format!("http://127.0.0.1:{}", self.port))
            .header("Sec-Fetch-Site", "same-origin")
            .header("X-MyCase-Request", "1")
    }

    /// Signs in and unlocks with the passphrase.
    pub async fn unlocked(&self) -> String {
        let cookie = self.sign_in().await;
        self.unlock(&cookie).await;
        cookie
    }

    /// Unlocks with the passphrase in a signed-in session.
    pub async fn unlock(&self, cookie: &str) {
        let reply = self
            .send(self.post("/unlock", cookie).form(&[("passphrase", PASS)]))
            .await;
        assert_eq!(reply.status, 303, "{}", reply.body);
        assert!(self.web.app().is_unlocked());
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
    }
}
