//! Generates helloworld.v1 (messages, `Greeter` trait, `GreeterServer`) with
//! volo-build, the code generator volo-grpc users run (pilota, no protoc).

fn main() {
    println!("cargo:rerun-if-changed=../proto/helloworld.proto");
    volo_build::Builder::protobuf()
        .add_service("../proto/helloworld.proto")
        .include_dirs(vec!["../proto".into()])
        .filename("proto_gen.rs".into())
        .write()
        .expect("volo-build codegen of helloworld.proto");
}
