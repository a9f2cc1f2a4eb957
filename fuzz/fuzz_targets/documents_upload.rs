//! A document upload's body as the agents service's upload route reads it: axum's multipart
//! extractor (multer) over the body, the `file` field found and read in chunks, then the bytes
//! sniffed for their kind. The first line is the `Content-Type` header (its boundary); the rest
//! is the body, handed over in pieces whose size the header's length picks, as a network would.
#![no_main]

use axum::body::Body;
use axum::extract::{FromRequest, Multipart};
use axum::http::Request;
use libfuzzer_sys::fuzz_target;
use posey_fuzz::documents::extract::sniff;

/// The route's upload limit is larger; this keeps the fuzzer's inputs in memory cheap.
const MAX_UPLOAD: usize = 1 << 20;

fuzz_target!(|data: &[u8]| {
    let (content_type, body) = posey_fuzz::split_line(data);
    let piece = 1 + content_type.len() % 17;
    let pieces: Vec<Result<Vec<u8>, std::io::Error>> =
        body.chunks(piece).map(|chunk| Ok(chunk.to_vec())).collect();
    let Ok(request) = Request::builder()
        .method("POST")
        .uri("/v1/documents")
        .header("content-type", content_type)
        .body(Body::from_stream(futures::stream::iter(pieces)))
    else {
        return;
    };
    futures::executor::block_on(async move {
        let Ok(mut multipart) = Multipart::from_request(request, &()).await else { return };
        while let Ok(Some(mut field)) = multipart.next_field().await {
            if field.name() != Some("file") {
                continue;
            }
            let filename = field.file_name().unwrap_or("document").to_owned();
            let mut bytes = Vec::new();
            while let Ok(Some(chunk)) = field.chunk().await {
                if bytes.len() + chunk.len() > MAX_UPLOAD {
                    return;
                }
                bytes.extend_from_slice(&chunk);
            }
            let _ = sniff(&bytes, &filename);
            break;
        }
    });
});
