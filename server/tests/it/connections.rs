//! Connections one party holds open: a socket silent through its TLS handshake is
//! closed after the handshake timeout, and connections beyond the per-address
//! limit are closed as soon as they are accepted, while another address still
//! gets served. Real sockets against a real server; every wait is on the
//! socket's own end, bounded.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mycase_tests::server::grpc as common;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use common::start_with;
use mycase_proto::v1::server_info_client::ServerInfoClient;
use mycase_proto::v1::GetServerKeyRequest;
use mycase_server::RunningServer;
use tokio::io::AsyncReadExt;
use tokio::net::{TcpSocket, TcpStream};
use tonic::transport::{Certificate, Channel, ClientTlsConfig};

/// Longer than any close this file expects, so a socket left open fails the test.
const BOUND: Duration = Duration::from_secs(15);
const OTHER_ADDRESS: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);

/// A TCP connection from `from` that sends nothing.
async fn silent_socket(server: SocketAddr, from: IpAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(from, 0)).unwrap();
    socket.connect(server).await.unwrap()
}

/// Waits for the server to close `socket`; panics if it is still open after `BOUND`.
async fn closed_by_server(socket: &mut TcpStream) {
    let mut buf = [0u8; 64];
    let read = tokio::time::timeout(BOUND, socket.read(&mut buf))
        .await
        .expect("the socket is still open after the bound");
    // EOF, or a reset: either way closed, and nothing was sent to a silent client.
    assert!(
        matches!(read, Ok(0) | Err(_)),
        "the server sent {read:?} bytes"
    );
}

/// A gRPC channel from `from`: the whole TLS and HTTP/2 path, not just a socket.
async fn channel_from(
    server: &RunningServer,
    from: IpAddr,
) -> Result<Channel, tonic::transport::Error> {
    let tls = ClientTlsConfig::new().ca_certificate(Certificate::from_pem(server.ca_cert_pem()));
    Channel::from_shared(server.url())
        .unwrap()
        .tls_config(tls)
        .unwrap()
        .local_address(Some(from))
        .connect()
        .await
}

async fn served(server: &RunningServer, from: IpAddr) -> bool {
    let Ok(channel) = channel_from(server, from).await else {
        return false;
    };
    match ServerInfoClient::new(channel)
        .get_server_key(GetServerKeyRequest {})
        .await
    {
        Ok(key) => key.into_inner().public_key == server.server_public_key(),
        Err(_) => false,
    }
}

#[tokio::test]
async fn silent_sockets_are_closed_after_the_tls_handshake_timeout() {
    let t = start_with(|c| c.connections.tls_handshake_timeout_secs = 1).await;
    let localhost = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let opened = Instant::now();
    let mut sockets = Vec::new();
    for _ in 0..50 {
        sockets.push(silent_socket(t.server.addr(), localhost).await);
    }
    for socket in &mut sockets {
        closed_by_server(socket).await;
    }
    assert!(
        opened.elapsed() >= Duration::from_millis(900),
        "closed before the timeout: {:?}",
        opened.elapsed()
    );
    assert!(
        served(&t.server, localhost).await,
        "the server still serves"
    );
}

#[tokio::test]
async fn connections_beyond_the_per_address_limit_are_closed_and_others_served() {
    const LIMIT: u32 = 3;
    let t = start_with(|c| {
        c.connections.max_per_address = LIMIT;
        // Off, so only the limit can close a silent socket here.
        c.connections.tls_handshake_timeout_secs = 0;
    })
    .await;
    let localhost = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let mut held = Vec::new();
    for _ in 0..LIMIT {
        held.push(silent_socket(t.server.addr(), localhost).await);
    }

    let mut over = silent_socket(t.server.addr(), localhost).await;
    closed_by_server(&mut over).await;
    assert!(
        !served(&t.server, localhost).await,
        "a full gRPC connection from the same address is refused too"
    );
    assert!(
        served(&t.server, OTHER_ADDRESS.into()).await,
        "another address is served while the first is at its limit"
    );

    // Closing held connections frees their slots (the server notices the close
    // on its own schedule: wait for that, bounded).
    drop(held);
    let deadline = Instant::now() + BOUND;
    while !served(&t.server, localhost).await {
        assert!(
            Instant::now() < deadline,
            "slots were not freed after the connections closed"
        );
        tokio::task::yield_now().await;
    }
}
