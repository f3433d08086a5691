//! End to end: AIPerf's image endpoint types beyond image generation (issue #19), from the real
//! CLI against the in-process mock: `image_retrieval` (NIM `/v1/infer`) sends the workload's
//! images and nothing else, and its exports hold the image metrics and no token metrics;
//! `image_edit` (`/v1/images/edits`) uploads one of them per request as a multipart form.

mod common;

use base64::Engine as _;
use common::{
    artifact_dir, captured_bodies, capturing_mock, json, jsonl, profile, profile_ok, stat, text,
    MockConfig, MockServer,
};
use serde_json::Value;

#[test]
fn image_retrieval_sends_the_images_and_measures_per_image() {
    let server = capturing_mock();
    let dir = artifact_dir("endpoints-media-retrieval");
    profile_ok(
        &server,
        &dir,
        &[
            "--endpoint-type",
            "image_retrieval",
            "--request-count",
            "5",
            "--concurrency",
            "2",
            "--image-width-mean",
            "40",
            "--image-height-mean",
            "30",
            "--image-format",
            "png",
            "--image-batch-size",
            "3",
            "--extra-inputs",
            "threshold:0.5",
        ],
    );
    let sent = captured_bodies(&server);
    assert_eq!(sent.len(), 5);
    for body in &sent {
        let object = body.as_object().expect("a JSON object");
        // AIPerf's body: the images and the extra inputs, no model and no text.
        let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["input", "threshold"], "{body}");
        let input = body["input"].as_array().expect("input");
        assert_eq!(input.len(), 3);
        for item in input {
            assert_eq!(item["type"], "image_url");
            let url = item["url"].as_str().expect("url");
            let b64 = url
                .strip_prefix("data:image/png;base64,")
                .unwrap_or_else(|| panic!("a PNG data URI: {}", &url[..40.min(url.len())]));
            let png = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .expect("base64");
            let img = image::load_from_memory(&png).expect("an image");
            assert_eq!((img.width(), img.height()), (40, 30));
        }
    }
    let snapshot = server.stats().snapshot();
    assert_eq!(snapshot.image_retrieval_requests, 5);
    assert_eq!(snapshot.media_image_parts, 15);

    let export = json(&dir, "profile_export_aiperf.json");
    assert_eq!(stat(&export, "request_count", "avg"), 5.0);
    assert_eq!(stat(&export, "num_images", "avg"), 3.0);
    // No text is sent and nothing is generated: the token metrics are absent, not zero.
    for absent in [
        "time_to_first_token",
        "output_sequence_length",
        "input_sequence_length",
        "input_token_throughput",
        "total_isl",
        "num_output_images",
    ] {
        assert!(export.get(absent).is_none(), "{absent} is exported");
    }
    let records = jsonl(&dir);
    assert_eq!(records.len(), 5);
    for record in records {
        let m = &record["metrics"];
        let latency_ms = m["request_latency"]["value"].as_f64().expect("latency");
        assert_eq!(m["num_images"]["value"], 3);
        assert_eq!(m["image_latency"]["unit"], "ms/image");
        let per_image = m["image_latency"]["value"].as_f64().expect("image_latency");
        assert!((per_image - latency_ms / 3.0).abs() < 1e-6, "{record}");
        let throughput = m["image_throughput"]["value"].as_f64().expect("throughput");
        assert!(
            (throughput - 3000.0 / latency_ms).abs() < 1e-6 * throughput,
            "{record}"
        );
    }
}

#[test]
fn image_retrieval_refuses_what_it_cannot_send() {
    let server = MockServer::start(MockConfig::default()).expect("mock server starts");
    let dir = artifact_dir("endpoints-media-retrieval-refusals");
    let cases: &[(&[&str], &str)] = &[
        (&[], "--image-width-mean: image_retrieval sends images"),
        (
            &[
                "--image-width-mean",
                "8",
                "--image-height-mean",
                "8",
                "--streaming",
            ],
            "--streaming: image_retrieval answers in one piece",
        ),
        (
            &[
                "--image-width-mean",
                "8",
                "--image-height-mean",
                "8",
                "--audio-length-mean",
                "1",
            ],
            "--audio-length-mean: image_retrieval sends images only",
        ),
    ];
    for (flags, expected) in cases {
        let mut args = vec!["--endpoint-type", "image_retrieval", "--request-count", "2"];
        args.extend_from_slice(flags);
        let out = profile(&server.url(), &dir, &args);
        assert!(!out.status.success(), "{flags:?} ran");
        let all = text(&out);
        assert!(all.contains(expected), "{flags:?}: {all}");
    }
    assert_eq!(server.stats().snapshot().image_retrieval_requests, 0);
}

#[test]
fn solido_rag_is_refused_in_one_line_saying_why() {
    let server = MockServer::start(MockConfig::default()).expect("mock server starts");
    let dir = artifact_dir("endpoints-media-solido");
    let out = profile(
        &server.url(),
        &dir,
        &["--endpoint-type", "solido_rag", "--request-count", "1"],
    );
    assert!(!out.status.success());
    let all = text(&out);
    let errors: Vec<&str> = all.lines().filter(|l| l.starts_with("error")).collect();
    assert_eq!(
        errors,
        ["error: --endpoint-type: solido_rag is not supported: the SOLIDO RAG service (Siemens EDA) has no public API documentation or server to build and test it against"],
        "{all}"
    );
    let snapshot = server.stats().snapshot();
    assert_eq!(snapshot.chat_requests + snapshot.not_found_requests, 0);
}

#[test]
fn image_retrieval_readiness_probe_carries_an_image() {
    let server = capturing_mock();
    let dir = artifact_dir("endpoints-media-retrieval-ready");
    profile_ok(
        &server,
        &dir,
        &[
            "--endpoint-type",
            "image_retrieval",
            "--request-count",
            "2",
            "--image-width-mean",
            "16",
            "--image-height-mean",
            "16",
            "--wait-for-model-timeout",
            "3",
            "--wait-for-model-interval",
            "0.2",
            "--wait-for-model-mode",
            "inference",
        ],
    );
    // The probe and the two requests, each with one image the mock could read.
    let snapshot = server.stats().snapshot();
    assert_eq!(snapshot.image_retrieval_requests, 3);
    assert_eq!(snapshot.media_image_parts, 3);
    assert_eq!(snapshot.bad_requests, 0);
    for body in captured_bodies(&server) {
        assert_eq!(body["input"].as_array().map(Vec::len), Some(1), "{body}");
    }
}

/// The text fields and the `image` file part of a captured `image_edit` form, split by hand
/// on the boundary the request announced.
fn form_fields(body: &[u8]) -> (Vec<(String, String)>, Vec<u8>) {
    let first_line = body.split(|&b| b == b'\r').next().expect("a first line");
    let delim = [b"\r\n".as_slice(), first_line].concat();
    let mut fields = Vec::new();
    let mut image = Vec::new();
    let mut rest = &body[first_line.len()..];
    while let Some(after) = rest.strip_prefix(b"\r\n".as_slice()) {
        let head_end = after
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("part head");
        let head = String::from_utf8_lossy(&after[..head_end]).into_owned();
        let data = &after[head_end + 4..];
        let end = data
            .windows(delim.len())
            .position(|w| w == delim.as_slice())
            .expect("part end");
        let name = head
            .split("name=\"")
            .nth(1)
            .expect("name")
            .split('"')
            .next()
            .unwrap();
        if head.contains("filename=") {
            assert_eq!(name, "image", "{head}");
            assert!(head.contains("Content-Type: image/png"), "{head}");
            image = data[..end].to_vec();
        } else {
            fields.push((
                name.to_owned(),
                String::from_utf8_lossy(&data[..end]).into_owned(),
            ));
        }
        rest = &data[end + delim.len()..];
    }
    assert_eq!(rest, b"--\r\n", "the closing boundary");
    (fields, image)
}

#[test]
fn image_edit_uploads_one_image_per_request_as_a_multipart_form() {
    let server = capturing_mock();
    let dir = artifact_dir("endpoints-media-image-edit");
    profile_ok(
        &server,
        &dir,
        &[
            "--endpoint-type",
            "image_edit",
            "--request-count",
            "5",
            "--concurrency",
            "2",
            "--image-width-mean",
            "40",
            "--image-height-mean",
            "30",
            "--image-format",
            "png",
            "--extra-inputs",
            "size:64x64",
            "--wait-for-model-timeout",
            "3",
            "--wait-for-model-mode",
            "inference",
        ],
    );
    // The readiness probe (a 1×1 PNG edit) and the five requests, each read by the mock's
    // multipart reader with an image it recognised.
    let snapshot = server.stats().snapshot();
    assert_eq!(snapshot.image_edit_requests, 6);
    assert_eq!(snapshot.media_image_parts, 6);
    assert_eq!(snapshot.images_generated, 6);
    assert_eq!(snapshot.bad_requests, 0);
    let captured = server.stats().captured_requests();
    assert_eq!(captured.len(), 6);
    for body in &captured[1..] {
        let (fields, image) = form_fields(body);
        let names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["model", "prompt", "response_format", "n", "size"]);
        assert_eq!(fields[2].1, "b64_json");
        assert_eq!(fields[3].1, "1");
        assert_eq!(fields[4].1, "64x64");
        assert!(!fields[1].1.is_empty());
        let img = image::load_from_memory(&image).expect("an image");
        assert_eq!((img.width(), img.height()), (40, 30));
    }

    let export = json(&dir, "profile_export_aiperf.json");
    assert_eq!(stat(&export, "request_count", "avg"), 5.0);
    assert_eq!(stat(&export, "num_output_images", "avg"), 1.0);
    assert_eq!(stat(&export, "total_output_images", "avg"), 5.0);
    assert!(export.get("time_to_first_token").is_none());
    assert!(export.get("output_sequence_length").is_none());

    // inputs.json shows each form as its fields, the image as a short placeholder.
    let inputs = json(&dir, "inputs.json");
    let payloads: Vec<&Value> = inputs["data"]
        .as_array()
        .expect("data")
        .iter()
        .flat_map(|s| s["payloads"].as_array().expect("payloads"))
        .collect();
    // Every workload entry (the dataset's, not only the ones sent).
    assert!(payloads.len() >= 5, "{}", payloads.len());
    for p in payloads {
        assert_eq!(p["response_format"], "b64_json", "{p}");
        assert_eq!(p["size"], "64x64", "{p}");
        let image = p["image"].as_str().expect("image placeholder");
        assert!(
            image.starts_with("<image/png, ") && image.ends_with(" bytes>"),
            "{image}"
        );
    }
}

#[test]
fn image_edit_refuses_what_it_cannot_send() {
    let server = capturing_mock();
    let dir = artifact_dir("endpoints-media-image-edit-refused");
    for (extra, message) in [
        (
            &[][..],
            "error: --image-width-mean: image_edit sends images",
        ),
        (
            &[
                "--image-width-mean",
                "8",
                "--image-height-mean",
                "8",
                "--streaming",
            ][..],
            "error: --streaming: image_edit answers in one piece",
        ),
        (
            &[
                "--image-width-mean",
                "8",
                "--image-height-mean",
                "8",
                "--image-batch-size",
                "2",
            ][..],
            "error: --image-batch-size: image_edit uploads one image per request",
        ),
    ] {
        let mut args = vec!["--endpoint-type", "image_edit", "--request-count", "2"];
        args.extend_from_slice(extra);
        let out = profile(&server.url(), &dir, &args);
        assert!(!out.status.success());
        let all = text(&out);
        let errors: Vec<&str> = all.lines().filter(|l| l.starts_with("error")).collect();
        assert_eq!(errors.len(), 1, "{all}");
        assert!(errors[0].starts_with(message), "{all}");
    }
    assert_eq!(server.stats().snapshot().image_edit_requests, 0);
}
