//! Every response carries the headers that keep the page to itself, whatever
//! answered: pages, assets, JSON, redirects, errors and refusals.

use crate::harness::start_set_up;
use crate::raw_http::Request;

const EXPECTED: [(&str, &str); 7] = [
    (
        "content-security-policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    ),
    ("x-frame-options", "DENY"),
    ("cache-control", "no-store"),
    ("referrer-policy", "no-referrer"),
    ("x-content-type-options", "nosniff"),
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-origin"),
];

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = start_set_up().await;
    let no_session = app.send(Request::get("/")).await;
    let bad_token = app.send(Request::get("/login?token=00")).await;
    let cookie = app.sign_in().await;
    let get = |path: &str| Request::get(path).header("Cookie", &cookie);
    let mut samples = vec![
        ("no session", no_session),
        ("bad token", bad_token),
        ("unlock page", app.send(get("/unlock")).await),
        ("locked home", app.send(get("/")).await),
        (
            "wrong passphrase",
            app.send(app.post("/unlock", &cookie).form(&[("passphrase", "nope")]))
                .await,
        ),
    ];
    // The wrong try above slows the next one: wait it out as the page says.
    loop {
        let reply = app
            .send(
                app.post("/unlock", &cookie)
                    .form(&[("passphrase", crate::harness::PASS)]),
            )
            .await;
        if reply.status == 303 {
            break;
        }
        assert_eq!(reply.status, 429, "{}", reply.body);
        samples.push(("try later", reply));
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
    samples.extend([
        ("home", app.send(get("/")).await),
        ("safety", app.send(get("/safety")).await),
        ("script", app.send(get("/assets/app.js")).await),
        ("style", app.send(get("/assets/app.css")).await),
        ("icon", app.send(get("/assets/icon.svg")).await),
        (
            "draft json",
            app.send(get("/draft").header("Accept", "application/json"))
                .await,
        ),
        (
            "draft saved",
            app.send(app.post("/draft", &cookie).form(&[("_draft", "e")]))
                .await,
        ),
        ("not found", app.send(get("/no-such-page")).await),
        ("query", app.send(get("/?q=1")).await),
        (
            "wrong host",
            app.send(get("/").header("Host", "evil.example")).await,
        ),
        (
            "cross origin",
            app.send(Request::post("/lock").header("Cookie", &cookie))
                .await,
        ),
        (
            "too large",
            app.send(
                app.post("/draft", &cookie)
                    .body(vec![b'a'; 300 * 1024])
                    .header("Content-Type", "application/x-www-form-urlencoded"),
            )
            .await,
        ),
        ("exit", app.send(get("/exit")).await),
    ]);
    for (what, reply) in &samples {
        for (name, value) in EXPECTED {
            assert_eq!(
                reply.header(name),
                Some(value),
                "{what} ({}): {name}",
                reply.status
            );
        }
    }
    let statuses: Vec<u16> = samples.iter().map(|(_, r)| r.status).collect();
    for status in [200, 204, 303, 400, 403, 404, 413, 421, 422] {
        assert!(
            statuses.contains(&status),
            "no sample answered {status}: {statuses:?}"
        );
    }
    app.stop().await;
}
