//! Compiles the protocol with `protox` (pure Rust), so no system `protoc` is needed.
use std::error::Error;
use std::path::PathBuf;

use prost::Message;

fn main() -> Result<(), Box<dyn Error>> {
    let files = [
        "mycase/v1/sync.proto",
        "mycase/v1/journal.proto",
        "mycase/v1/local.proto",
        "mycase/v1/share.proto",
        "mycase/v1/admin.proto",
        "mycase/v1/server_info.proto",
    ];
    for f in files {
        println!("cargo:rerun-if-changed={f}");
    }
    // The standard health service, as tonic-health serves it (its copy of the
    // file): compiled here only for a server over tonic-health's messages that
    // uses the codec below.
    let health_file = "grpc/health/v1/health.proto";
    println!("cargo:rerun-if-changed={health_file}");
    let descriptors = protox::compile(files, ["."])?;
    let health = protox::compile([health_file], ["."])?;
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    // Tests enumerate every service and method the server answers from it
    // (`FILE_DESCRIPTOR_SET`).
    let mut served = descriptors.clone();
    served.file.extend(health.file.iter().cloned());
    std::fs::write(
        out_dir.join("mycase_descriptor.bin"),
        served.encode_to_vec(),
    )?;
    // Messages and clients, with tonic-prost's codec.
    tonic_prost_build::configure()
        // prost derives Eq only for messages without repeated message fields;
        // every field of these is Eq, and the journal compares them.
        .message_attribute(".mycase.v1.EntryFields", "#[derive(Eq)]")
        .build_server(false)
        .build_client(true)
        .compile_fds(descriptors.clone())?;
    // Servers alone, over the messages above, with the codec that answers a
    // malformed request INVALID_ARGUMENT (src/codec.rs).
    let server_dir = out_dir.join("server");
    std::fs::create_dir_all(&server_dir)?;
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(false)
        .extern_path(".mycase.v1", "crate::v1")
        .codec_path("crate::codec::RequestCodec")
        .out_dir(&server_dir)
        .compile_fds(descriptors)?;
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(false)
        .extern_path(".grpc.health.v1", "::tonic_health::pb")
        .codec_path("crate::codec::RequestCodec")
        .out_dir(&server_dir)
        .compile_fds(health)?;
    Ok(())
}
