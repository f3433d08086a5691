//! The vision sets on small parquet files written here in each dataset's real schema (as
//! pyarrow writes Hugging Face's `Image` and list columns), with PNGs made on the spot.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine as _;
use parquet::data_type::{ByteArray, ByteArrayType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;

use super::*;

/// One leaf column's present values, with its definition and repetition levels.
enum Leaf {
    Long(Vec<i64>, Vec<i16>),
    Bytes(Vec<Vec<u8>>, Vec<i16>, Option<Vec<i16>>),
}

fn text(values: &[&str], def: Vec<i16>, rep: Option<Vec<i16>>) -> Leaf {
    Leaf::Bytes(
        values.iter().map(|v| v.as_bytes().to_vec()).collect(),
        def,
        rep,
    )
}

/// Writes the leaves (in schema order) as one row group.
fn write(path: &Path, schema: &str, leaves: Vec<Leaf>) {
    let schema = Arc::new(parse_message_type(schema).unwrap());
    let props = Arc::new(WriterProperties::builder().build());
    let file = std::fs::File::create(path).unwrap();
    let mut writer = SerializedFileWriter::new(file, schema, props).unwrap();
    let mut group = writer.next_row_group().unwrap();
    let mut leaves = leaves.into_iter();
    while let Some(mut col) = group.next_column().unwrap() {
        match leaves.next().expect("a leaf per column") {
            Leaf::Long(values, def) => {
                col.typed::<Int64Type>()
                    .write_batch(&values, Some(&def), None)
                    .unwrap();
            }
            Leaf::Bytes(values, def, rep) => {
                let values: Vec<ByteArray> = values.into_iter().map(ByteArray::from).collect();
                col.typed::<ByteArrayType>()
                    .write_batch(&values, Some(&def), rep.as_deref())
                    .unwrap();
            }
        }
        col.close().unwrap();
    }
    group.close().unwrap();
    writer.close().unwrap();
}

/// A 2×2 PNG of one colour.
fn png(rgb: [u8; 3]) -> Vec<u8> {
    let image = image::RgbImage::from_pixel(2, 2, image::Rgb(rgb));
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn png_uri(bytes: &[u8]) -> String {
    format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

const MMSTAR: &str = "message schema {
  OPTIONAL INT64 index;
  OPTIONAL BYTE_ARRAY question (UTF8);
  OPTIONAL group image {
    OPTIONAL BYTE_ARRAY bytes;
    OPTIONAL BYTE_ARRAY path (UTF8);
  }
  OPTIONAL BYTE_ARRAY answer (UTF8);
}";

/// MMStar's layout: three rows, the second with no question.
fn mmstar(dir: &Path) -> (PathBuf, Vec<Vec<u8>>) {
    let path = dir.join("mmstar.parquet");
    let images = vec![png([255, 0, 0]), png([0, 255, 0]), png([0, 0, 255])];
    write(
        &path,
        MMSTAR,
        vec![
            Leaf::Long(vec![0, 1, 2], vec![1, 1, 1]),
            text(
                &[
                    "Which colour fills the square?\nOptions: A: red, B: blue",
                    "How many squares are there?",
                ],
                vec![1, 0, 1],
                None,
            ),
            Leaf::Bytes(images.clone(), vec![2, 2, 2], None),
            text(&["0.png", "1.png", "2.png"], vec![2, 2, 2], None),
            text(&["A", "B", "A"], vec![1, 1, 1], None),
        ],
    );
    (path, images)
}

fn plan(dataset: VisionDataset, path: &Path) -> VisionDatasetPlan {
    VisionDatasetPlan {
        dataset,
        dataset_path: Some(path.to_path_buf()),
        max_tokens: Some(64),
    }
}

fn tok() -> &'static Tokenizer {
    crate::tokenizer::test_support::builtin()
}

#[test]
fn mmstar_rows_send_their_question_and_image_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let (path, images) = mmstar(tmp.path());
    let workload = build(
        &plan(VisionDataset::Mmstar, &path),
        tok(),
        &HubEnv::default(),
    )
    .unwrap();
    assert!(!workload.is_multi_turn());
    let got: Vec<_> = workload
        .entries
        .iter()
        .map(|e| {
            (
                e.session_id.as_str(),
                e.prompt.as_str(),
                e.max_tokens,
                e.media.clone(),
            )
        })
        .collect();
    let image = |i: usize| {
        vec![MediaPart::Image {
            url: png_uri(&images[i]),
        }]
    };
    assert_eq!(
        got,
        vec![
            (
                "mmstar/session_000001",
                "Which colour fills the square?\nOptions: A: red, B: blue",
                Some(64),
                image(0)
            ),
            (
                "mmstar/session_000002",
                "How many squares are there?",
                Some(64),
                image(2)
            ),
        ]
    );
    for e in &workload.entries {
        assert_eq!(e.input_tokens, tok().count(&e.prompt).unwrap());
    }
}

#[test]
fn the_workload_is_the_same_on_one_thread_and_four() {
    let tmp = tempfile::tempdir().unwrap();
    let (path, _) = mmstar(tmp.path());
    let on = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| {
                build(
                    &plan(VisionDataset::Mmstar, &path),
                    tok(),
                    &HubEnv::default(),
                )
                .unwrap()
            })
    };
    assert_eq!(on(1), on(4));
}

const VISION_ARENA: &str = "message schema {
  OPTIONAL BYTE_ARRAY conversation_id (UTF8);
  OPTIONAL group conversation (LIST) {
    REPEATED group list {
      OPTIONAL group element (LIST) {
        REPEATED group list {
          OPTIONAL group element {
            OPTIONAL BYTE_ARRAY content (UTF8);
            OPTIONAL BYTE_ARRAY role (UTF8);
          }
        }
      }
    }
  }
  OPTIONAL group images (LIST) {
    REPEATED group list {
      OPTIONAL group element {
        OPTIONAL BYTE_ARRAY bytes;
        OPTIONAL BYTE_ARRAY path (UTF8);
      }
    }
  }
}";

#[test]
fn vision_arena_sends_the_first_user_message_and_the_first_image() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("train-00000-of-00001.parquet");
    let images = vec![png([1, 2, 3]), png([4, 5, 6]), png([7, 8, 9])];
    write(
        &path,
        VISION_ARENA,
        vec![
            text(&["a", "b"], vec![1, 1], None),
            // Row 1: [[user], [assistant]]; row 2: [[user]].
            text(
                &["What is in this picture? <image>", "A cat.", "Describe it."],
                vec![6, 6, 6],
                Some(vec![0, 1, 0]),
            ),
            text(
                &["user", "assistant", "user"],
                vec![6, 6, 6],
                Some(vec![0, 1, 0]),
            ),
            Leaf::Bytes(images.clone(), vec![4, 4, 4], Some(vec![0, 1, 0])),
            text(
                &["x.png", "y.png", "z.png"],
                vec![4, 4, 4],
                Some(vec![0, 1, 0]),
            ),
        ],
    );
    let workload = build(
        &plan(VisionDataset::VisionArena, tmp.path()),
        tok(),
        &HubEnv::default(),
    )
    .unwrap();
    let got: Vec<_> = workload
        .entries
        .iter()
        .map(|e| (e.prompt.as_str(), e.media.clone()))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "What is in this picture?",
                vec![MediaPart::Image {
                    url: png_uri(&images[0])
                }]
            ),
            (
                "Describe it.",
                vec![MediaPart::Image {
                    url: png_uri(&images[2])
                }]
            ),
        ]
    );
}

const LLAVA: &str = "message schema {
  OPTIONAL BYTE_ARRAY id (UTF8);
  OPTIONAL group image {
    OPTIONAL BYTE_ARRAY bytes;
    OPTIONAL BYTE_ARRAY path (UTF8);
  }
  OPTIONAL group conversations (LIST) {
    REPEATED group list {
      OPTIONAL group element {
        OPTIONAL BYTE_ARRAY from (UTF8);
        OPTIONAL BYTE_ARRAY value (UTF8);
      }
    }
  }
  OPTIONAL BYTE_ARRAY data_source (UTF8);
}";

#[test]
fn llava_onevision_drops_image_markers_and_sends_rows_without_images_as_text() {
    let tmp = tempfile::tempdir().unwrap();
    let folder = tmp.path().join("sharegpt4o");
    std::fs::create_dir_all(&folder).unwrap();
    let path = folder.join("train-00000-of-00001.parquet");
    let image = png([9, 9, 9]);
    write(
        &path,
        LLAVA,
        vec![
            text(&["1", "2"], vec![1, 1], None),
            Leaf::Bytes(vec![image.clone()], vec![2, 0], None),
            text(&["1.jpg"], vec![2, 0], None),
            text(
                &["human", "gpt", "human"],
                vec![4, 4, 4],
                Some(vec![0, 1, 0]),
            ),
            text(
                &[
                    "<image>\nWhat is shown here?",
                    "A grey square.",
                    "Say hello.",
                ],
                vec![4, 4, 4],
                Some(vec![0, 1, 0]),
            ),
            text(&["sharegpt4o", "sharegpt4o"], vec![1, 1], None),
        ],
    );
    let workload = build(
        &plan(VisionDataset::LlavaOnevision, tmp.path()),
        tok(),
        &HubEnv::default(),
    )
    .unwrap();
    let got: Vec<_> = workload
        .entries
        .iter()
        .map(|e| (e.prompt.as_str(), e.media.clone()))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "What is shown here?",
                vec![MediaPart::Image {
                    url: png_uri(&image)
                }]
            ),
            ("Say hello.", vec![]),
        ]
    );
}

#[test]
fn mmvu_formats_the_choices_and_passes_the_video_url_through() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("validation-00000-of-00001.parquet");
    let schema = "message schema {
      OPTIONAL BYTE_ARRAY id (UTF8);
      OPTIONAL BYTE_ARRAY video (UTF8);
      OPTIONAL BYTE_ARRAY question (UTF8);
      OPTIONAL group choices {
        OPTIONAL BYTE_ARRAY A (UTF8);
        OPTIONAL BYTE_ARRAY B (UTF8);
        OPTIONAL BYTE_ARRAY C (UTF8);
      }
    }";
    let url = "https://huggingface.co/datasets/yale-nlp/MMVU/resolve/main/videos/Art/1.mp4";
    write(
        &path,
        schema,
        vec![
            text(&["v1"], vec![1], None),
            text(&[url], vec![1], None),
            text(&["What moves first?"], vec![1], None),
            text(&["The ball"], vec![2], None),
            text(&["The box"], vec![2], None),
            text(&[""], vec![2], None),
        ],
    );
    let workload = build(&plan(VisionDataset::Mmvu, &path), tok(), &HubEnv::default()).unwrap();
    assert_eq!(
        workload.entries[0].prompt,
        "What moves first? A.The ball B.The box"
    );
    assert_eq!(
        workload.entries[0].media,
        vec![MediaPart::Video {
            url: url.to_string()
        }]
    );
}

#[test]
fn wrong_columns_name_the_file_row_and_column() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("bad.parquet");
    let schema = "message schema {
      OPTIONAL INT64 question;
      OPTIONAL group image { OPTIONAL BYTE_ARRAY bytes; }
    }";
    write(
        &path,
        schema,
        vec![
            Leaf::Long(vec![7], vec![1]),
            Leaf::Bytes(vec![png([0, 0, 0])], vec![2], None),
        ],
    );
    let err = build(
        &plan(VisionDataset::Mmstar, &path),
        tok(),
        &HubEnv::default(),
    )
    .unwrap_err()
    .to_string();
    let want = format!("{}: row 1: question: expected a string", path.display());
    assert!(err.starts_with(&want), "{err}");

    let err = build(
        &plan(VisionDataset::LlavaOnevision, &path),
        tok(),
        &HubEnv::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.ends_with("row 1: no `conversations` column (is this lmms-lab/LLaVA-OneVision-Data?)"),
        "{err}"
    );

    let schema = "message schema {
      OPTIONAL BYTE_ARRAY question (UTF8);
      OPTIONAL group image { OPTIONAL BYTE_ARRAY bytes; }
    }";
    write(
        &path,
        schema,
        vec![
            text(&["q"], vec![1], None),
            Leaf::Bytes(vec![b"not an image".to_vec()], vec![2], None),
        ],
    );
    let err = build(
        &plan(VisionDataset::Mmstar, &path),
        tok(),
        &HubEnv::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.ends_with("row 1: image: the bytes are not PNG, JPEG, GIF, WebP or BMP"),
        "{err}"
    );
}

#[test]
fn image_formats_are_read_from_the_bytes() {
    assert_eq!(image_format(&png([0, 0, 0]), None), Some("png"));
    assert_eq!(
        image_format(&[0xFF, 0xD8, 0xFF, 0xE0], Some("x.png")),
        Some("jpeg")
    );
    assert_eq!(image_format(b"GIF89a....", None), Some("gif"));
    assert_eq!(image_format(b"RIFF\0\0\0\0WEBPVP8 ", None), Some("webp"));
    assert_eq!(image_format(b"????", Some("a.JPG")), Some("jpeg"));
    assert_eq!(image_format(b"????", None), None);
}

#[test]
fn a_missing_dataset_is_one_line_saying_how_to_fetch_it() {
    let tmp = tempfile::tempdir().unwrap();
    let env = HubEnv {
        cache_dir: Some(tmp.path().to_path_buf()),
        offline: true,
        ..HubEnv::default()
    };
    let vision = VisionDatasetPlan {
        dataset: VisionDataset::Mmstar,
        dataset_path: None,
        max_tokens: None,
    };
    let err = build(&vision, tok(), &env).unwrap_err().to_string();
    assert!(
        err.starts_with("--public-dataset mmstar: Lin-Chen/MMStar is not in the local"),
        "{err}"
    );
    assert!(
        err.contains("huggingface-cli download Lin-Chen/MMStar --repo-type dataset"),
        "{err}"
    );
    assert!(!err.contains('\n'), "{err}");
}
