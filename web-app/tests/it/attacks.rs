//! Each defence of the local server, performed as the attack: a page on another
//! name (DNS rebinding), a cross-site form, a copied or missing token, another
//! local user without the cookie, framing, CORS, inputs in addresses, big bodies.
//! Every refusal is clear and leaves the app as it was.

use crate::harness::{start_empty, start_set_up};
use crate::raw_http::Request;

#[tokio::test]
async fn a_page_on_another_host_name_is_refused() {
    let app = start_set_up().await;
    let cookie = app.unlocked().await;
    let port = app.port;
    for host in [
        format!("evil.example:{port}"),
        format!("127.0.0.1:{}", port.wrapping_add(1)),
        "127.0.0.1".to_owned(),
        format!("localhost.evil.example:{port}"),
    ] {
        let reply = app
            .send(
                Request::get("/")
                    .header("Host", &host)
                    .header("Cookie", &cookie),
            )
            .await;
        assert_eq!(reply.status, 421, "{host}");
        assert!(
            reply.body.contains("does not belong to MyCase"),
            "{}",
            reply.body
        );
        let reply = app
            .send(app.post("/lock", &cookie).header("Host", &host))
            .await;
        assert_eq!(reply.status, 421, "{host}");
    }
    assert!(
        app.web.app().is_unlocked(),
        "a refused request locked the app"
    );
    // Its own names are answered.
    let reply = app
        .send(
            Request::get("/")
                .header("Host", &format!("localhost:{port}"))
                .header("Cookie", &cookie),
        )
        .await;
    assert_eq!(reply.status, 200);
    app.stop().await;
}

#[tokio::test]
async fn the_launch_token_works_once_and_leaves_the_address_bar() {
    let app = start_empty().await;
    let token = app.token();
    assert_eq!(token.len(), 64, "256 bits in hex");

    let missing = app.send(Request::get("/login")).await;
    assert_eq!(missing.status, 403);
    let wrong = app
        .send(Request::get(&format!("/login?token={}", "ab".repeat(32))))
        .await;
    assert_eq!(wrong.status, 403);
    assert!(wrong.body.contains("not the one"), "{}", wrong.body);
    assert!(wrong.header("set-cookie").is_none());

    // A wrong guess does not spend the real token.
    let first = app
        .send(Request::get(&format!("/login?token={token}")))
        .await;
    assert_eq!(first.status, 303);
    assert_eq!(
        first.header("location"),
        Some("/"),
        "the token must leave the address"
    );
    let set_cookie = first.header("set-cookie").unwrap();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    let cookie = set_cookie.split(';').next().unwrap();
    let (_, value) = cookie.split_once('=').unwrap();
    assert_eq!(value.len(), 64);
    assert!(!set_cookie.contains(&token));

    let again = app
        .send(Request::get(&format!("/login?token={token}")))
        .await;
    assert_eq!(again.status, 403);
    assert!(again.body.contains("already been used"), "{}", again.body);
    assert!(again.header("set-cookie").is_none());

    // The session the token opened works.
    let page = app
        .send(Request::get("/unlock").header("Cookie", cookie))
        .await;
    assert_eq!(page.status, 200);
    app.stop().await;
}

#[tokio::test]
async fn without_the_cookie_nothing_opens() {
    let app = start_set_up().await;
    let cookie = app.unlocked().await;
    let forged = format!("session_{}={}", app.port, "0".repeat(64));
    let other_port = format!(
        "session_{}={}",
        app.port.wrapping_add(1),
        cookie.split('=').nth(1).unwrap()
    );
    for presented in [None, Some(forged.as_str()), Some(other_port.as_str())] {
        for path in ["/", "/unlock", "/draft", "/events"] {
            let mut request = Request::get(path);
            if let Some(c) = presented {
                request = request.header("Cookie", c);
            }
            let reply = app.send(request).await;
            assert_eq!(reply.status, 403, "{path} with {presented:?}");
            assert!(
                reply.body.contains("Open MyCase from the link that")
                    && reply.body.contains("mycase app"),
                "{}",
                reply.body
            );
        }
        let mut lock = Request::post("/lock")
            .header("Origin", &format!("http://127.0.0.1:{}", app.port))
            .header("X-MyCase-Request", "1");
        if let Some(c) = presented {
            lock = lock.header("Cookie", c);
        }
        assert_eq!(app.send(lock).await.status, 403);
    }
    assert!(app.web.app().is_unlocked());
    app.stop().await;
}

#[tokio::test]
async fn a_cross_origin_or_plain_form_post_changes_nothing() {
    let app = start_set_up().await;
    let cookie = app.unlocked().await;
    let own = format!("http://127.0.0.1:{}", app.port);
    let attempts: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("no origin word at all", vec![("X-MyCase-Request", "1")]),
        (
            "another site",
            vec![("Origin", "http://evil.example"), ("X-MyCase-Request", "1")],
        ),
        (
            "an opaque origin",
            vec![("Origin", "null"), ("X-MyCase-Request", "1")],
        ),
        (
            "a plain cross-site form",
            vec![
                ("Origin", "http://evil.example"),
                ("Sec-Fetch-Site", "cross-site"),
            ],
        ),
        (
            "same site, other port",
            vec![("Sec-Fetch-Site", "same-site"), ("X-MyCase-Request", "1")],
        ),
        (
            "own origin but no custom header",
            vec![("Origin", own.as_str()), ("Sec-Fetch-Site", "same-origin")],
        ),
        (
            "own origin contradicted",
            vec![
                ("Origin", own.as_str()),
                ("Sec-Fetch-Site", "cross-site"),
                ("X-MyCase-Request", "1"),
            ],
        ),
    ];
    for (what, headers) in attempts {
        let mut request = Request::post("/lock").header("Cookie", &cookie);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let reply = app.send(request).await;
        assert_eq!(reply.status, 403, "{what}");
        assert!(
            reply.body.contains("did not come from MyCase"),
            "{what}: {}",
            reply.body
        );
        assert!(app.web.app().is_unlocked(), "{what} locked the app");
    }
    // The same request as app.js sends it works.
    let reply = app.send(app.post("/lock", &cookie)).await;
    assert_eq!(reply.status, 303);
    assert!(!app.web.app().is_unlocked());
    app.stop().await;
}

#[tokio::test]
async fn no_cors_header_ever_and_preflights_get_nothing() {
    let app = start_set_up().await;
    let cookie = app.sign_in().await;
    let preflight = Request::new("OPTIONS", "/lock")
        .header("Cookie", &cookie)
        .header("Origin", "http://evil.example")
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "x-mycase-request");
    for request in [
        preflight,
        Request::get("/unlock")
            .header("Cookie", &cookie)
            .header("Origin", "http://evil.example"),
        Request::get("/assets/app.js").header("Origin", "http://evil.example"),
    ] {
        let reply = app.send(request).await;
        assert!(
            !reply
                .header_names()
                .iter()
                .any(|n| n.starts_with("access-control-")),
            "{:?}",
            reply.headers
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn inputs_in_addresses_are_refused() {
    let app = start_set_up().await;
    let cookie = app.unlocked().await;
    for target in [
        "/?words=kitchen",
        "/unlock?x=1",
        "/safety?",
        "/assets/app.js?v=1",
    ] {
        let reply = app
            .send(Request::get(target).header("Cookie", &cookie))
            .await;
        assert_eq!(reply.status, 400, "{target}");
        assert!(
            reply.body.contains("takes nothing in its addresses"),
            "{}",
            reply.body
        );
    }
    let id = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
    let reply = app
        .send(Request::get(&format!("/entries/{id}")).header("Cookie", &cookie))
        .await;
    assert_eq!(reply.status, 400);
    assert!(reply.body.contains("never name an entry"), "{}", reply.body);
    let reply = app
        .send(
            app.post("/draft?form=entry", &cookie)
                .form(&[("_draft", "entry"), ("title", "x")]),
        )
        .await;
    assert_eq!(reply.status, 400);
    assert_eq!(
        app.web.app().draft().await.unwrap(),
        None,
        "a refused request kept a draft"
    );
    app.stop().await;
}

#[tokio::test]
async fn gets_change_nothing() {
    let app = start_set_up().await;
    let cookie = app.unlocked().await;
    app.send(
        app.post("/draft", &cookie)
            .form(&[("_draft", "entry"), ("title", "kept")]),
    )
    .await;
    for path in ["/lock", "/draft/discard", "/notices/dismiss", "/keepalive"] {
        let reply = app.send(Request::get(path).header("Cookie", &cookie)).await;
        assert_eq!(reply.status, 405, "{path}");
    }
    assert!(app.web.app().is_unlocked());
    assert!(app.web.app().draft().await.unwrap().is_some());
    app.stop().await;
}

#[tokio::test]
async fn bad_and_oversized_bodies_are_refused_and_change_nothing() {
    let app = start_set_up().await;
    let cookie = app.unlocked().await;
    let saved = app
        .send(
            app.post("/draft", &cookie)
                .form(&[("_draft", "entry"), ("title", "first")]),
        )
        .await;
    assert_eq!(saved.status, 204);
    let before = app.web.app().draft().await.unwrap().unwrap().to_vec();

    let huge = "x".repeat(300 * 1024);
    let reply = app
        .send(
            app.post("/draft", &cookie)
                .form(&[("_draft", "entry"), ("title", &huge)]),
        )
        .await;
    assert_eq!(reply.status, 413);
    assert!(
        reply.body.contains("more than MyCase accepts"),
        "{}",
        reply.body
    );

    let json = app
        .send(
            app.post("/draft", &cookie)
                .header("Accept", "application/json")
                .header("Content-Type", "application/json")
                .body(br#"{"_draft":"entry","title":"second"}"#.to_vec()),
        )
        .await;
    assert_eq!(json.status, 400);
    let error: serde_json::Value = serde_json::from_str(&json.body).unwrap();
    assert!(error["error"]
        .as_str()
        .unwrap()
        .contains("not sent as a form"));

    let nameless = app
        .send(app.post("/draft", &cookie).form(&[("title", "third")]))
        .await;
    assert_eq!(nameless.status, 400);
    assert_eq!(
        app.web.app().draft().await.unwrap().unwrap().to_vec(),
        before
    );

    // The unlock form without its field, on a locked app.
    app.send(app.post("/lock", &cookie)).await;
    let reply = app
        .send(app.post("/unlock", &cookie).form(&[("other", "x")]))
        .await;
    assert_eq!(reply.status, 400);
    assert!(
        reply.body.contains("There is a problem"),
        "an HTML page: {}",
        reply.body
    );
    assert!(!app.web.app().is_unlocked());
    app.stop().await;
}

#[tokio::test]
async fn arriving_from_another_site_only_reloads_the_start_page() {
    let app = start_set_up().await;
    let cookie = app.unlocked().await;
    let from_elsewhere = |path: &str| {
        Request::get(path)
            .header("Sec-Fetch-Site", "cross-site")
            .header("Sec-Fetch-Mode", "navigate")
    };
    // The start page reloads itself from here (where the browser sends the
    // cookie); it shows and changes nothing.
    let reply = app.send(from_elsewhere("/")).await;
    assert_eq!(reply.status, 200);
    assert!(
        reply
            .body
            .contains("http-equiv=\"refresh\" content=\"0;url=/\""),
        "{}",
        reply.body
    );
    assert!(!reply.body.contains("MyCase") && !reply.body.contains("laptop"));
    assert!(reply.header("content-security-policy").is_some());
    // Any other page, or the same without the navigation's words, is refused.
    for request in [
        from_elsewhere("/unlock"),
        from_elsewhere("/?x=1"),
        Request::get("/"),
    ] {
        assert_ne!(app.send(request).await.status, 200);
    }
    let wrong_host = app
        .send(from_elsewhere("/").header("Host", "evil.example"))
        .await;
    assert_eq!(wrong_host.status, 421);
    // With the cookie it is the page itself.
    let page = app
        .send(from_elsewhere("/").header("Cookie", &cookie))
        .await;
    assert!(page.body.contains("Lock now"));
    assert!(app.web.app().is_unlocked());
    app.stop().await;
}
