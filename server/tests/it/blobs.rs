//! The Blobs service over a real TLS server: authentication, sizes, idempotent
//! durable puts, conflicts, per-account isolation, streamed reads.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mycase_tests::server::grpc as common;

use common::{channel, random, start, with_token, Device};
use mycase_proto::v1::blobs_client::BlobsClient;
use mycase_proto::v1::{GetChunksRequest, HaveChunksRequest, PutChunkRequest, PutChunksResponse};
use mycase_proto::MAX_MESSAGE_BYTES;
use mycase_server::RunningServer;
use tokio_stream::StreamExt;
use tonic::transport::Channel;
use tonic::{Code, Request, Status};

async fn blobs(server: &RunningServer) -> BlobsClient<Channel> {
    BlobsClient::new(channel(server).await)
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(usize::MAX)
}

async fn put(
    client: &mut BlobsClient<Channel>,
    token: &[u8],
    chunks: Vec<(Vec<u8>, Vec<u8>)>,
) -> Result<PutChunksResponse, Status> {
    let stream = tokio_stream::iter(
        chunks
            .into_iter()
            .map(|(address, sealed)| PutChunkRequest { address, sealed }),
    );
    client
        .put_chunks(with_token(stream, token))
        .await
        .map(|r| r.into_inner())
}

async fn have(client: &mut BlobsClient<Channel>, token: &[u8], addrs: &[Vec<u8>]) -> Vec<bool> {
    client
        .have_chunks(with_token(
            HaveChunksRequest {
                addresses: addrs.to_vec(),
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner()
        .present
}

async fn get(
    client: &mut BlobsClient<Channel>,
    token: &[u8],
    addrs: &[Vec<u8>],
) -> Result<Vec<Vec<u8>>, Status> {
    let mut stream = client
        .get_chunks(with_token(
            GetChunksRequest {
                addresses: addrs.to_vec(),
            },
            token,
        ))
        .await?
        .into_inner();
    let mut out = Vec::new();
    while let Some(item) = stream.next().await {
        let item = item?;
        out.push(item.sealed);
    }
    Ok(out)
}

fn addr() -> Vec<u8> {
    random::<32>().to_vec()
}

#[tokio::test]
async fn put_have_get_round_trip_and_idempotence() {
    let ts = start().await;
    let d = Device::register(&ts.server).await;
    let mut c = blobs(&ts.server).await;
    let (a1, a2, a3) = (addr(), addr(), addr());
    let big = vec![0xA5; 1024 * 1024 + 16];
    let r = put(
        &mut c,
        &d.token,
        vec![(a1.clone(), vec![1; 40]), (a2.clone(), big.clone())],
    )
    .await
    .unwrap();
    assert_eq!(r.stored, 2);
    assert_eq!(
        have(&mut c, &d.token, &[a1.clone(), a3.clone(), a2.clone()]).await,
        vec![true, false, true]
    );
    // Same bytes again: accepted, nothing new stored.
    let r = put(&mut c, &d.token, vec![(a1.clone(), vec![1; 40])])
        .await
        .unwrap();
    assert_eq!(r.stored, 0);
    // In the order asked.
    let got = get(&mut c, &d.token, &[a2.clone(), a1.clone()])
        .await
        .unwrap();
    assert_eq!(got, vec![big, vec![1; 40]]);
    // Asking for a missing chunk is a clear NotFound.
    let err = get(&mut c, &d.token, &[a1.clone(), a3]).await.unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
}

#[tokio::test]
async fn other_bytes_at_a_stored_address_are_refused() {
    let ts = start().await;
    let d = Device::register(&ts.server).await;
    let mut c = blobs(&ts.server).await;
    let a = addr();
    put(&mut c, &d.token, vec![(a.clone(), vec![1; 40])])
        .await
        .unwrap();
    let err = put(&mut c, &d.token, vec![(a.clone(), vec![2; 40])])
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists);
    assert_eq!(
        get(&mut c, &d.token, &[a]).await.unwrap(),
        vec![vec![1; 40]]
    );
}

#[tokio::test]
async fn sizes_are_validated() {
    let ts = start().await;
    let d = Device::register(&ts.server).await;
    let mut c = blobs(&ts.server).await;
    let cases = [
        (vec![0; 31], vec![0; 40]),
        (addr(), vec![0; 1024 * 1024 + 17]),
        (addr(), vec![0; 15]),
    ];
    for (a, sealed) in cases {
        let err = put(&mut c, &d.token, vec![(a, sealed)]).await.unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");
    }
    let too_many: Vec<Vec<u8>> = (0..4097).map(|_| vec![0; 32]).collect();
    let err = c
        .have_chunks(with_token(
            HaveChunksRequest {
                addresses: too_many,
            },
            &d.token,
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
}

#[tokio::test]
async fn chunks_stored_before_a_failure_stay_stored() {
    let ts = start().await;
    let d = Device::register(&ts.server).await;
    let mut c = blobs(&ts.server).await;
    let (a1, a2) = (addr(), addr());
    let err = put(
        &mut c,
        &d.token,
        vec![(a1.clone(), vec![1; 40]), (vec![0; 3], vec![2; 40])],
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(have(&mut c, &d.token, &[a1, a2]).await, vec![true, false]);
}

#[tokio::test]
async fn unauthenticated_calls_and_other_accounts_see_nothing() {
    let ts = start().await;
    let d = Device::register(&ts.server).await;
    let other = Device::register(&ts.server).await;
    let mut c = blobs(&ts.server).await;
    let a = addr();
    put(&mut c, &d.token, vec![(a.clone(), vec![1; 40])])
        .await
        .unwrap();

    let err = c
        .have_chunks(Request::new(HaveChunksRequest {
            addresses: vec![a.clone()],
        }))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    let err = put(&mut c, &[0; 32], vec![(addr(), vec![1; 40])])
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);

    assert_eq!(
        have(&mut c, &other.token, std::slice::from_ref(&a)).await,
        vec![false]
    );
    let err = get(&mut c, &other.token, std::slice::from_ref(&a))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
}
