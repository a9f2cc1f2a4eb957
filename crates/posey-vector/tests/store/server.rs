//! A Qdrant server: the same conformance suite, run when `QDRANT_URL` names one.

use posey_vector::{QDRANT_REST_PORT, ServerStore, VectorError, grpc_url};

use crate::conformance;

#[tokio::test]
#[ignore = "needs a Qdrant server, none runs here: QDRANT_URL=http://127.0.0.1:6333 cargo test -p posey-vector -- --ignored"]
async fn server_store_passes_the_conformance_suite() {
    let rest = std::env::var("QDRANT_URL").expect(
        "QDRANT_URL is not set: point it at a Qdrant server (REST port 6333; gRPC 6334 is derived, \
         or set QDRANT_GRPC_URL)",
    );
    let grpc = std::env::var("QDRANT_GRPC_URL").ok();
    let url = grpc_url(&rest, grpc.as_deref()).unwrap();
    let api_key = std::env::var("QDRANT_API_KEY").ok().filter(|k| !k.is_empty());
    let store = ServerStore::connect(&url, api_key).await.unwrap();
    conformance::run(&store).await;
}

#[tokio::test]
async fn server_url_on_the_rest_port_is_refused_with_the_reason() {
    let url = format!("http://127.0.0.1:{QDRANT_REST_PORT}");
    let err = ServerStore::connect(&url, None).await.err().unwrap();
    assert!(matches!(err, VectorError::Invalid { field: "QDRANT_URL", .. }), "{err:?}");
    assert!(err.to_string().contains("6334"), "{err}");
}

#[tokio::test]
async fn server_that_does_not_answer_fails_with_the_variable_named() {
    // A port nothing listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let err = ServerStore::connect(&format!("http://127.0.0.1:{port}"), None).await.err().unwrap();
    assert!(format!("{err:#}").contains("QDRANT_URL"), "{err:#}");
    assert!(format!("{err:#}").contains("does not answer"), "{err:#}");
}
