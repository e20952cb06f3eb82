//! Compiles the protocol with `protox` (pure Rust), so no system `protoc` is needed.
use std::error::Error;

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
    let descriptors = protox::compile(files, ["."])?;
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .compile_fds(descriptors)?;
    Ok(())
}
