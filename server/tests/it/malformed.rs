//! Malformed request messages: every method of every service the server answers
//! (`mycase.v1` and `grpc.health.v1`, read from the compiled descriptors, so a
//! new method is covered without editing this file) answers INVALID_ARGUMENT to bytes that are not its request message, and
//! the server keeps serving.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mycase_tests::server::grpc as common;

use std::path::PathBuf;

use common::{channel, start, with_token, Device};
use mycase_proto::codec::MALFORMED_REQUEST;
use mycase_proto::v1::server_info_client::ServerInfoClient;
use mycase_proto::v1::GetServerKeyRequest;
use mycase_proto::FILE_DESCRIPTOR_SET;
use mycase_server::operator::admin;
use prost::bytes::{Buf, BufMut};
use prost::Message;
use prost_types::field_descriptor_proto::Type;
use prost_types::{DescriptorProto, FileDescriptorSet, MethodDescriptorProto};
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::codegen::http::uri::PathAndQuery;
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Status};

/// Sends request bytes as they are and reads any response as opaque bytes.
#[derive(Clone, Copy, Default)]
struct RawCodec;

impl Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = ();
    type Encoder = RawCodec;
    type Decoder = RawCodec;
    fn encoder(&mut self) -> RawCodec {
        RawCodec
    }
    fn decoder(&mut self) -> RawCodec {
        RawCodec
    }
}

impl Encoder for RawCodec {
    type Item = Vec<u8>;
    type Error = Status;
    fn encode(&mut self, item: Vec<u8>, buf: &mut EncodeBuf<'_>) -> Result<(), Status> {
        buf.put_slice(&item);
        Ok(())
    }
}

impl Decoder for RawCodec {
    type Item = ();
    type Error = Status;
    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<()>, Status> {
        buf.advance(buf.remaining());
        Ok(Some(()))
    }
}

struct Method {
    path: String,
    request: DescriptorProto,
}

/// Every method of every service served, with its request message.
fn methods() -> Vec<Method> {
    let set = FileDescriptorSet::decode(FILE_DESCRIPTOR_SET).unwrap();
    let messages: Vec<(String, DescriptorProto)> = set
        .file
        .iter()
        .flat_map(|f| {
            let package = f.package().to_string();
            f.message_type
                .iter()
                .map(move |m| (format!(".{package}.{}", m.name()), m.clone()))
        })
        .collect();
    let mut out = Vec::new();
    for file in &set.file {
        for service in &file.service {
            for m in &service.method {
                let m: &MethodDescriptorProto = m;
                let request = messages
                    .iter()
                    .find(|(name, _)| name == m.input_type())
                    .map(|(_, d)| d.clone())
                    .expect("every input type is a mycase.v1 message");
                out.push(Method {
                    path: format!("/{}.{}/{}", file.package(), service.name(), m.name()),
                    request,
                });
            }
        }
    }
    out
}

/// Bytes no request message decodes from, each with what is wrong with it.
fn malformed(request: &DescriptorProto) -> Vec<(&'static str, Vec<u8>)> {
    let mut cases = vec![
        // Field 1 as a varint whose continuation bit never ends.
        ("a truncated varint", vec![0x08, 0x80, 0x80]),
        // Wire type 6 does not exist.
        ("an unknown wire type", vec![0x0e, 0x01]),
        // Field 1 length-delimited, claiming 2^32 - 1 bytes and carrying 3.
        (
            "a field of a huge length",
            vec![0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3],
        ),
    ];
    // A declared field under a wire type its type never uses.
    if let Some(field) = request.field.first() {
        let number = u8::try_from(field.number()).expect("a small field number");
        assert!(number < 16, "one-byte tags only");
        let fixed32 = matches!(field.r#type(), Type::Fixed32 | Type::Sfixed32 | Type::Float);
        let wrong = if fixed32 {
            // fixed64 (wire type 1) for a 32-bit field.
            let mut b = vec![(number << 3) | 1];
            b.extend_from_slice(&[0; 8]);
            b
        } else {
            // fixed32 (wire type 5) for anything else.
            let mut b = vec![(number << 3) | 5];
            b.extend_from_slice(&[0; 4]);
            b
        };
        cases.push(("a declared field under the wrong wire type", wrong));
    }
    cases
}

/// Sends `body` as the only request message of `path`; the status it ends with.
async fn call(channel: Channel, path: &str, token: &[u8], body: Vec<u8>) -> Status {
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.unwrap();
    let request = with_token(tokio_stream::iter([body]), token);
    let path = PathAndQuery::try_from(path.to_string()).unwrap();
    match grpc.streaming(request, path, RawCodec).await {
        Err(status) => status,
        Ok(response) => {
            let mut stream = response.into_inner();
            loop {
                match stream.message().await {
                    Err(status) => return status,
                    Ok(Some(())) => continue,
                    Ok(None) => return Status::ok("the call succeeded"),
                }
            }
        }
    }
}

/// The admin service's channel: its Unix socket in the data directory.
async fn admin_channel(socket: PathBuf) -> Channel {
    Endpoint::from_static("http://admin.sock")
        .connect_with_connector(tower::service_fn(move |_| {
            let socket = socket.clone();
            async move {
                let stream = tokio::net::UnixStream::connect(socket).await?;
                Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(stream))
            }
        }))
        .await
        .unwrap()
}

#[tokio::test]
async fn every_method_answers_malformed_requests_invalid_argument() {
    let t = start().await;
    // Signed in, so authentication is not what refuses the stream methods.
    let device = Device::register(&t.server).await;
    let tcp = channel(&t.server).await;
    let admin = admin_channel(t.dir.path().join(admin::SOCKET_NAME)).await;

    let methods = methods();
    assert!(methods.len() >= 30, "only {} methods found", methods.len());
    assert!(
        methods
            .iter()
            .any(|m| m.path == "/grpc.health.v1.Health/Check"),
        "the health service is not enumerated"
    );
    for method in &methods {
        let on = if method.path.starts_with("/mycase.v1.Admin/") {
            admin.clone()
        } else {
            tcp.clone()
        };
        for (what, body) in malformed(&method.request) {
            let status = call(on.clone(), &method.path, &device.token, body).await;
            assert_eq!(
                status.code(),
                Code::InvalidArgument,
                "{} with {what}: {status:?}",
                method.path
            );
            assert!(
                status.message().starts_with(MALFORMED_REQUEST),
                "{} with {what}: {status:?}",
                method.path
            );
        }
    }

    // Still serving, on the channel that sent all of it and for new sign-ins.
    let key = ServerInfoClient::new(tcp)
        .get_server_key(GetServerKeyRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(key.public_key, t.server.server_public_key());
    let mut device = device;
    device.login().await.unwrap();
    Device::register(&t.server).await;
}
