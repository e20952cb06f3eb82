#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `GrpcTransport` against a real server on 127.0.0.1:0 with its self-signed CA.

use ed25519_dalek::{Signer, SigningKey};
use futures_util::StreamExt;
use mycase_core::transport::grpc::GrpcTransport;
use mycase_core::transport::{Refusal, Transport, TransportError};
use mycase_proto::v1::{AuthenticateRequest, RegisterRequest};
use mycase_server::RunningServer;
use rand::rngs::OsRng;
use rand::RngCore;

async fn server(tmp: &tempfile::TempDir) -> RunningServer {
    mycase_tests::server::start_server(&tmp.path().join("server"), |_| {}).await
}

fn random<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    OsRng.fill_bytes(&mut b);
    b
}

#[tokio::test]
async fn challenge_over_tls_with_the_servers_ca() {
    let tmp = tempfile::tempdir().unwrap();
    let server = server(&tmp).await;
    let t = GrpcTransport::connect(&server.url(), Some(server.ca_cert_pem()))
        .await
        .unwrap();
    let challenge = t.challenge(random::<16>().to_vec()).await.unwrap();
    assert_eq!(challenge.len(), 32);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn untrusted_certificate_is_a_connect_error() {
    let tmp = tempfile::tempdir().unwrap();
    let server = server(&tmp).await;
    let err = GrpcTransport::connect(&server.url(), None)
        .await
        .unwrap_err();
    let TransportError::Connect(message) = &err else {
        panic!("expected a connect error, got {err:?}")
    };
    // With system roots present the server's self-signed certificate is not trusted;
    // on a machine without any roots the failure names that instead.
    assert!(
        message.contains("not trusted") || message.contains("native"),
        "{message}"
    );

    // A CA that is not the server's is refused the same way.
    let other = tempfile::tempdir().unwrap();
    let other_server = self::server(&other).await;
    let err = GrpcTransport::connect(&server.url(), Some(other_server.ca_cert_pem()))
        .await
        .unwrap_err();
    let TransportError::Connect(message) = &err else {
        panic!("expected a connect error, got {err:?}")
    };
    assert!(message.contains("certificate not trusted"), "{message}");

    let err = GrpcTransport::connect(&server.url(), Some("not a certificate"))
        .await
        .unwrap_err();
    assert!(matches!(err, TransportError::Connect(_)), "{err:?}");
    other_server.shutdown().await.unwrap();
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn plain_http_is_refused() {
    let err = GrpcTransport::connect("http://127.0.0.1:7443", None)
        .await
        .unwrap_err();
    let TransportError::Connect(message) = &err else {
        panic!("expected a connect error, got {err:?}")
    };
    assert!(message.contains("http://"), "{message}");
    assert!(matches!(
        GrpcTransport::connect("ftp://example.org", None).await,
        Err(TransportError::Connect(_))
    ));
    assert!(matches!(
        GrpcTransport::connect("not a url", None).await,
        Err(TransportError::Connect(_))
    ));
}

#[tokio::test]
async fn nothing_listening_is_a_connect_error() {
    // Bind and drop to find a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = GrpcTransport::connect(&format!("https://127.0.0.1:{port}"), None)
        .await
        .unwrap_err();
    assert!(matches!(err, TransportError::Connect(_)), "{err:?}");
}

#[tokio::test]
async fn session_token_authenticates_calls() {
    let tmp = tempfile::tempdir().unwrap();
    let server = server(&tmp).await;
    let t = GrpcTransport::connect(&server.url(), Some(server.ca_cert_pem()))
        .await
        .unwrap();

    let device = SigningKey::generate(&mut OsRng);
    let recovery = SigningKey::generate(&mut OsRng);
    let account_id = random::<16>().to_vec();
    let device_id = random::<16>().to_vec();
    let sign_public_key = device.verifying_key().to_bytes().to_vec();
    let dh_public_key =
        x25519_dalek::PublicKey::from(&x25519_dalek::StaticSecret::random_from_rng(OsRng))
            .as_bytes()
            .to_vec();
    let recovery_public_key = recovery.verifying_key().to_bytes().to_vec();
    let recovery_blob = vec![5u8; 80];
    let proof = device
        .sign(&mycase_proto::wire::register_message(
            &account_id,
            &device_id,
            &sign_public_key,
            &dh_public_key,
            &recovery_public_key,
            &recovery_blob,
        ))
        .to_bytes()
        .to_vec();
    let recovery_proof = recovery
        .sign(&mycase_proto::wire::recovery_registration_message(
            &account_id,
            &device_id,
            &sign_public_key,
            &dh_public_key,
        ))
        .to_bytes()
        .to_vec();
    t.register(RegisterRequest {
        account_id: account_id.clone(),
        device_id: device_id.clone(),
        sign_public_key,
        dh_public_key,
        recovery_public_key,
        recovery_blob,
        invite_code: String::new(),
        proof,
        recovery_proof,
    })
    .await
    .unwrap();

    // Without a session the authenticated calls are refused.
    let err = t.get_vector().await.unwrap_err();
    assert_eq!(err.refusal(), Some(&Refusal::Unauthenticated), "{err:?}");
    t.set_session(Some(vec![1; 32]));
    let err = t.list_devices().await.unwrap_err();
    assert_eq!(err.refusal(), Some(&Refusal::Unauthenticated), "{err:?}");

    let challenge = t.challenge(device_id.clone()).await.unwrap();
    let signature = device
        .sign(&mycase_proto::wire::auth_message(&device_id, &challenge))
        .to_bytes()
        .to_vec();
    let auth = t
        .authenticate(AuthenticateRequest {
            device_id: device_id.clone(),
            challenge,
            signature,
        })
        .await
        .unwrap();
    assert_eq!(auth.account_id, account_id);
    t.set_session(Some(auth.session_token));

    let devices = t.list_devices().await.unwrap();
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0].device_id, device_id);
    assert!(t.get_vector().await.unwrap().entries.is_empty());

    // An empty account pulls nothing; watch starts with the current vector.
    let pages: Vec<_> = t
        .pull(Default::default(), 100)
        .await
        .unwrap()
        .collect()
        .await;
    assert!(
        pages
            .iter()
            .all(|p| p.as_ref().is_ok_and(|p| p.records.is_empty())),
        "{pages:?}"
    );
    let mut watch = t.watch().await.unwrap();
    let first = tokio::time::timeout(std::time::Duration::from_secs(10), watch.next())
        .await
        .unwrap();
    assert!(first.unwrap().unwrap().entries.is_empty());
    drop(watch);

    t.set_session(None);
    assert_eq!(
        t.get_vector().await.unwrap_err().refusal(),
        Some(&Refusal::Unauthenticated)
    );
    server.shutdown().await.unwrap();
}
