//! Generates helloworld.v1 with poem-grpc-build (prost-build underneath, so it
//! runs protoc), as poem-grpc's README does.

fn main() -> std::io::Result<()> {
    println!("cargo:rerun-if-changed=../proto/helloworld.proto");
    poem_grpc_build::compile_protos(&["../proto/helloworld.proto"], &["../proto"])
}
