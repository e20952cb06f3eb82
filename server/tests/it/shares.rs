//! The Shares service and the viewer routes over a real TLS server: create,
//! list, fetch (gRPC and HTTP, each counting a view), revoke, expiry, view
//! limit, size limit, authentication, ciphertext deleted when a share ends, and
//! the security headers on every HTTP route.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mycase_tests::server::grpc as common;
use mycase_tests::server::http;

use std::path::PathBuf;

use common::{channel, random, start, start_with, with_token, Device, RawServer};
use mycase_proto::v1::create_share_request::Part;
use mycase_proto::v1::shares_client::SharesClient;
use mycase_proto::v1::{
    CreateShareRequest, FetchShareRequest, ListSharesRequest, RevokeShareRequest, SharePolicy,
    ShareState,
};
use mycase_server::RunningServer;
use sha2::{Digest, Sha256};
use tokio_stream::StreamExt;
use tonic::transport::Channel;
use tonic::{Code, Request, Status};

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' blob:; media-src blob:; frame-src blob:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

async fn shares(server: &RunningServer) -> SharesClient<Channel> {
    SharesClient::new(channel(server).await)
}

/// The access token of a test share (a real link derives it from its key; the
/// server only ever compares hashes).
fn token_of(share_id: [u8; 16]) -> Vec<u8> {
    Sha256::digest([&b"token of "[..], &share_id].concat()).to_vec()
}

fn upload(
    share_id: [u8; 16],
    ttl: u64,
    max_views: u32,
    size: u64,
    bundle: &[u8],
) -> Vec<CreateShareRequest> {
    let mut msgs = vec![CreateShareRequest {
        part: Some(Part::Policy(SharePolicy {
            share_id: share_id.to_vec(),
            ttl_seconds: ttl,
            max_views,
            size,
            access_token_hash: Sha256::digest(token_of(share_id)).to_vec(),
        })),
    }];
    msgs.extend(bundle.chunks(1000).map(|c| CreateShareRequest {
        part: Some(Part::Chunk(c.to_vec())),
    }));
    msgs
}

async fn create(
    server: &RunningServer,
    device: &Device,
    share_id: [u8; 16],
    ttl: u64,
    max_views: u32,
    bundle: &[u8],
) -> Result<u64, Status> {
    let msgs = upload(share_id, ttl, max_views, bundle.len() as u64, bundle);
    shares(server)
        .await
        .create_share(with_token(tokio_stream::iter(msgs), &device.token))
        .await
        .map(|r| r.into_inner().expires_at_unix)
}

async fn fetch(server: &RunningServer, share_id: [u8; 16]) -> Result<Vec<u8>, Status> {
    fetch_with(server, share_id, token_of(share_id)).await
}

async fn fetch_with(
    server: &RunningServer,
    share_id: [u8; 16],
    access_token: Vec<u8>,
) -> Result<Vec<u8>, Status> {
    let mut stream = shares(server)
        .await
        .fetch_share(FetchShareRequest {
            share_id: share_id.to_vec(),
            access_token,
        })
        .await?
        .into_inner();
    let mut out = Vec::new();
    while let Some(item) = stream.next().await {
        out.extend(item?.chunk);
    }
    Ok(out)
}

/// GET of a share's bundle over HTTP, with its access token.
async fn http_bundle(server: &RunningServer, share_id: [u8; 16]) -> http::HttpResponse {
    let auth = format!("Bearer {}", hex::encode(token_of(share_id)));
    http::request(
        server,
        "GET",
        &format!("/s/{}/bundle", hex::encode(share_id)),
        &[("Authorization", &auth)],
    )
    .await
}

fn share_file(t: &RawServer, share_id: [u8; 16]) -> PathBuf {
    t.dir.path().join("shares").join(hex::encode(share_id))
}

fn bundle_of(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

#[tokio::test]
async fn create_list_fetch_revoke() {
    let t = start().await;
    let device = Device::register(&t.server).await;
    let id = random::<16>();
    let bundle = bundle_of(2_500_000);
    create(&t.server, &device, id, 3600, 0, &bundle)
        .await
        .unwrap();
    assert_eq!(std::fs::read(share_file(&t, id)).unwrap(), bundle);

    // Fetching needs no session; both ways count a view.
    assert_eq!(fetch(&t.server, id).await.unwrap(), bundle);
    let page = http_bundle(&t.server, id).await;
    assert_eq!(page.status, 200);
    assert_eq!(page.body, bundle);

    let listed = shares(&t.server)
        .await
        .list_shares(device.authed(ListSharesRequest {}))
        .await
        .unwrap()
        .into_inner()
        .shares;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].share_id, id.to_vec());
    assert_eq!(listed[0].views, 2);
    assert_eq!(listed[0].opened_at_unix.len(), 2);
    assert_eq!(listed[0].state, ShareState::Active as i32);
    assert_eq!(listed[0].size, bundle.len() as u64);

    // Another account can neither see nor revoke it.
    let other = Device::register(&t.server).await;
    let err = shares(&t.server)
        .await
        .revoke_share(other.authed(RevokeShareRequest {
            share_id: id.to_vec(),
        }))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let theirs = shares(&t.server)
        .await
        .list_shares(other.authed(ListSharesRequest {}))
        .await
        .unwrap()
        .into_inner()
        .shares;
    assert!(theirs.is_empty());
    assert_eq!(fetch(&t.server, id).await.unwrap(), bundle);

    shares(&t.server)
        .await
        .revoke_share(device.authed(RevokeShareRequest {
            share_id: id.to_vec(),
        }))
        .await
        .unwrap();
    assert!(
        !share_file(&t, id).exists(),
        "revocation deletes the ciphertext"
    );
    let err = fetch(&t.server, id).await.unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(err.message(), "share ended: revoked");
    let page = http_bundle(&t.server, id).await;
    assert_eq!(page.status, 410);
    assert_eq!(page.body, br#"{"ended":"revoked"}"#);
    let listed = shares(&t.server)
        .await
        .list_shares(device.authed(ListSharesRequest {}))
        .await
        .unwrap()
        .into_inner()
        .shares;
    assert_eq!(listed[0].state, ShareState::Revoked as i32);
}

#[tokio::test]
async fn the_view_limit_ends_the_share_and_deletes_it() {
    let t = start().await;
    let device = Device::register(&t.server).await;
    let id = random::<16>();
    create(&t.server, &device, id, 3600, 2, b"two views only")
        .await
        .unwrap();
    assert_eq!(fetch(&t.server, id).await.unwrap(), b"two views only");
    assert!(share_file(&t, id).exists());
    let page = http_bundle(&t.server, id).await;
    assert_eq!(page.body, b"two views only");
    assert!(
        !share_file(&t, id).exists(),
        "the last view deletes the ciphertext"
    );
    let err = fetch(&t.server, id).await.unwrap_err();
    assert_eq!(err.message(), "share ended: view limit reached");
    let page = http_bundle(&t.server, id).await;
    assert_eq!(page.status, 410);
    assert_eq!(page.body, br#"{"ended":"view limit reached"}"#);

    // The operator's counts: one share made, opened twice (refusals are not views).
    let mut admin = mycase_server::operator::admin::connect(
        &t.dir
            .path()
            .join(mycase_server::operator::admin::SOCKET_NAME),
    )
    .await
    .unwrap();
    let stats = admin
        .stats(mycase_proto::v1::StatsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!((stats.shares_created, stats.shares_opened), (1, 2));
}

#[tokio::test]
async fn an_expired_share_ends_and_a_restart_purges_it() {
    let clock = mycase_server::clock::Clock::default();
    let mut t = start_with(|c| c.clock = clock.clone()).await;
    let device = Device::register(&t.server).await;
    let (soon, later) = (random::<16>(), random::<16>());
    create(&t.server, &device, soon, 1, 0, b"short-lived")
        .await
        .unwrap();
    create(&t.server, &device, later, 1, 0, b"also short")
        .await
        .unwrap();
    // The server's clock moves past both shares' one-second life.
    clock.advance(std::time::Duration::from_secs(2));
    let err = fetch(&t.server, soon).await.unwrap_err();
    assert_eq!(err.message(), "share ended: expired");
    assert!(!share_file(&t, soon).exists());
    // Nobody asked for `later`: the janitor's first sweep after a restart deletes it.
    assert!(share_file(&t, later).exists());
    let mut config = common::config(&t.dir);
    config.clock = clock.clone();
    t.server.shutdown().await.unwrap();
    t.server = mycase_server::start(config).await.unwrap();
    let page = http_bundle(&t.server, later).await;
    assert_eq!(page.body, br#"{"ended":"expired"}"#);
    assert!(!share_file(&t, later).exists());
}

#[tokio::test]
async fn limits_and_authentication() {
    let t = start_with(|c| c.share_max_bytes = 10_000).await;
    let device = Device::register(&t.server).await;

    let err = create(&t.server, &device, random(), 3600, 0, &bundle_of(10_001))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::ResourceExhausted);
    assert!(err.message().contains("at most 10000"), "{}", err.message());
    create(&t.server, &device, random(), 3600, 0, &bundle_of(10_000))
        .await
        .unwrap();

    // More bytes than the policy declared.
    let id = random::<16>();
    let msgs = upload(id, 3600, 0, 10, &bundle_of(20));
    let err = shares(&t.server)
        .await
        .create_share(with_token(tokio_stream::iter(msgs), &device.token))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(!share_file(&t, id).exists());

    // Longer than 31 days.
    let err = create(&t.server, &device, random(), 32 * 86_400, 0, b"x")
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);

    // A share id already used.
    let id = random::<16>();
    create(&t.server, &device, id, 3600, 0, b"first")
        .await
        .unwrap();
    let err = create(&t.server, &device, id, 3600, 0, b"second")
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists);
    assert_eq!(fetch(&t.server, id).await.unwrap(), b"first");

    // Without a session.
    let msgs = upload(random(), 3600, 0, 1, b"x");
    let err = shares(&t.server)
        .await
        .create_share(Request::new(tokio_stream::iter(msgs)))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    let err = shares(&t.server)
        .await
        .list_shares(ListSharesRequest {})
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);

    let err = fetch(&t.server, random()).await.unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    assert_eq!(err.message(), "share ended: unknown");
}

#[tokio::test]
async fn every_http_route_carries_the_security_headers() {
    let t = start().await;
    let unknown = hex::encode(random::<16>());
    let page = http::get(&t.server, &format!("/s/{unknown}")).await;
    let other_page = http::get(&t.server, &format!("/s/{}", hex::encode(random::<16>()))).await;
    // The page is the same for every id: it never tells whether a share exists.
    assert_eq!(page.body, other_page.body);
    let cases = [
        (page, 200, "text/html; charset=utf-8"),
        (
            http::get(&t.server, "/s/viewer.js").await,
            200,
            "text/javascript; charset=utf-8",
        ),
        (
            http::get(&t.server, "/s/viewer.css").await,
            200,
            "text/css; charset=utf-8",
        ),
        (
            http::get(&t.server, &format!("/s/{unknown}/bundle")).await,
            410,
            "application/json",
        ),
        (
            http::get(&t.server, "/s/not-hex/bundle").await,
            410,
            "application/json",
        ),
    ];
    for (response, status, content_type) in cases {
        assert_eq!(response.status, status);
        assert_eq!(response.header("content-type"), Some(content_type));
        assert_eq!(response.header("content-security-policy"), Some(CSP));
        assert_eq!(response.header("referrer-policy"), Some("no-referrer"));
        assert_eq!(response.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(response.header("cache-control"), Some("no-store"));
        assert_eq!(
            response.header("strict-transport-security"),
            Some("max-age=63072000")
        );
        assert_eq!(
            response.header("cross-origin-opener-policy"),
            Some("same-origin")
        );
    }
    let html =
        String::from_utf8(http::get(&t.server, &format!("/s/{unknown}")).await.body).unwrap();
    // No inline script or style (the CSP would block them), nothing from elsewhere.
    assert!(html.contains(r#"<script src="/s/viewer.js" defer></script>"#));
    assert!(!html.contains("<style"));
    assert!(!html.contains("style="));
    assert!(!html.contains("http://") && !html.contains("https://"));
    let bundle = http::get(&t.server, &format!("/s/{unknown}/bundle")).await;
    assert_eq!(bundle.body, br#"{"ended":"unknown"}"#);
}

/// Attack: someone who has a share's id but not its key (from a proxy log, a
/// shoulder, a link preview that cut the fragment, a HEAD-probing scanner) tries
/// to burn its views. Nothing counts and nothing is sent until a fetch proves it
/// holds the link's key.
#[tokio::test]
async fn views_cannot_be_burned_without_the_links_key() {
    let t = start().await;
    let device = Device::register(&t.server).await;
    let id = random::<16>();
    create(&t.server, &device, id, 3600, 1, b"one view only")
        .await
        .unwrap();
    let path = format!("/s/{}/bundle", hex::encode(id));

    // gRPC: no token, another share's token, a token one bit off.
    let mut off = token_of(id);
    off[0] ^= 1;
    for token in [Vec::new(), token_of(random()), off, vec![0; 5]] {
        let err = fetch_with(&t.server, id, token).await.unwrap_err();
        assert_eq!(err.code(), Code::PermissionDenied, "{err:?}");
        assert!(err.message().contains("does not open this share"));
    }
    // HTTP: no header, a wrong token, a malformed one, HEAD with the right one.
    let wrong = format!("Bearer {}", hex::encode(token_of(random())));
    for headers in [
        vec![],
        vec![("Authorization", wrong.as_str())],
        vec![("Authorization", "Bearer not-hex")],
    ] {
        let page = http::request(&t.server, "GET", &path, &headers).await;
        assert_eq!(page.status, 403);
        assert_eq!(page.body, br#"{"error":"wrong-key"}"#);
        assert!(!page.body.windows(4).any(|w| w == b"view"));
    }
    let right = format!("Bearer {}", hex::encode(token_of(id)));
    let head = http::request(&t.server, "HEAD", &path, &[("Authorization", &right)]).await;
    assert_eq!(head.status, 405);
    assert_eq!(head.header("allow"), Some("GET"));
    assert!(head.body.is_empty());

    // Nothing was counted or deleted: the one allowed view is still there.
    let listed = shares(&t.server)
        .await
        .list_shares(device.authed(ListSharesRequest {}))
        .await
        .unwrap()
        .into_inner()
        .shares;
    assert_eq!(
        (listed[0].views, listed[0].state),
        (0, ShareState::Active as i32)
    );
    assert!(share_file(&t, id).exists());
    let page = http_bundle(&t.server, id).await;
    assert_eq!(
        (page.status, page.body.as_slice()),
        (200, &b"one view only"[..])
    );
    assert_eq!(page.header("content-length"), Some("13"));
    let err = fetch(&t.server, id).await.unwrap_err();
    assert_eq!(err.message(), "share ended: view limit reached");
}

/// Links sent before access tokens existed keep opening, without a token,
/// until they expire.
#[tokio::test]
async fn a_share_from_before_tokens_still_opens_without_one() {
    let dir = tempfile::tempdir().unwrap();
    let id = random::<16>();
    {
        use mycase_server::store::{OperatorStore, ShareRow, ShareStore, SledStore};
        let store = SledStore::open(&dir.path().join("db"), &dir.path().join("chunks")).unwrap();
        let mut upload = store.begin_share().unwrap();
        upload.write(b"an old share").unwrap();
        let now = mycase_server::access::auth::now_unix();
        let row = ShareRow {
            account_id: random(),
            created_at_unix: now,
            expires_at_unix: now + 3600,
            max_views: 0,
            views: 0,
            opened_at_unix: Vec::new(),
            size: 12,
            ended: None,
            access_token_hash: None,
        };
        store.put_share(&id, &row, upload).unwrap();
        store.close().unwrap();
    }
    let server = mycase_server::start(common::config(&dir)).await.unwrap();
    assert_eq!(
        fetch_with(&server, id, Vec::new()).await.unwrap(),
        b"an old share"
    );
    let page = http::get(&server, &format!("/s/{}/bundle", hex::encode(id))).await;
    assert_eq!(
        (page.status, page.body.as_slice()),
        (200, &b"an old share"[..])
    );
    server.shutdown().await.unwrap();
}

/// Attack: an account fills the server's disk through share links, which used
/// to count against no quota, and floods it with share creations.
#[tokio::test]
async fn shares_count_against_the_quota_and_are_rate_limited() {
    let t = start_with(|c| {
        c.quotas.storage_bytes_per_account = 10_000;
        c.rate_limits.shares_per_account = 4;
    })
    .await;
    let mut device = Device::register(&t.server).await;
    let first = random::<16>();
    create(&t.server, &device, first, 3600, 0, &bundle_of(6_000))
        .await
        .unwrap();
    // 6000 in a share + 6000 more is over 10000: refused, nothing kept.
    let second = random::<16>();
    let err = create(&t.server, &device, second, 3600, 0, &bundle_of(6_000))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::ResourceExhausted);
    assert!(err.message().contains("storage quota"), "{}", err.message());
    assert!(!share_file(&t, second).exists());
    // Records count too: 3000 of share room is left, less what the log holds.
    let records = device.records(0, common::genesis(), 1);
    device.append(records).await.unwrap();
    let err = create(&t.server, &device, random(), 3600, 0, &bundle_of(3_999))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::ResourceExhausted);
    // A revoked share frees its room.
    shares(&t.server)
        .await
        .revoke_share(device.authed(RevokeShareRequest {
            share_id: first.to_vec(),
        }))
        .await
        .unwrap();
    create(&t.server, &device, random(), 3600, 0, &bundle_of(6_000))
        .await
        .unwrap();
    // That was the fourth creation this minute (refused ones count too): the
    // fifth is refused whatever its size.
    let err = create(&t.server, &device, random(), 3600, 0, b"x")
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::ResourceExhausted);
    assert!(err.message().contains("rate limit"), "{}", err.message());
    let listed = shares(&t.server)
        .await
        .list_shares(device.authed(ListSharesRequest {}))
        .await
        .unwrap()
        .into_inner()
        .shares;
    assert_eq!(listed.len(), 2);
}

/// An upload cut off half way leaves neither a share nor a partial file.
#[tokio::test]
async fn an_interrupted_upload_leaves_nothing() {
    let t = start().await;
    let device = Device::register(&t.server).await;
    let id = random::<16>();
    let msgs = upload(id, 3600, 0, 3_000_000, &bundle_of(1_500_000));
    let err = shares(&t.server)
        .await
        .create_share(with_token(tokio_stream::iter(msgs), &device.token))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(err.message().contains("ended after 1500000 of 3000000"));
    let left: Vec<_> = std::fs::read_dir(t.dir.path().join("shares"))
        .unwrap()
        .collect();
    assert!(left.is_empty(), "{left:?}");
    assert_eq!(
        fetch(&t.server, id).await.unwrap_err().code(),
        Code::NotFound
    );
}
