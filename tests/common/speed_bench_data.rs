//! SPEED-Bench-shaped parquet files for tests (the real dataset's schema, rows of our own).

use std::path::Path;
use std::sync::Arc;

use parquet::data_type::{BoolType, ByteArray, ByteArrayType};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;

const SCHEMA: &str = "message schema {
  OPTIONAL BYTE_ARRAY question_id (UTF8);
  OPTIONAL BYTE_ARRAY category (UTF8);
  OPTIONAL group turns (LIST) {
    REPEATED group list {
      OPTIONAL BYTE_ARRAY element (UTF8);
    }
  }
  OPTIONAL BOOLEAN multiturn;
}";

/// One row: question id, category, user turns.
pub type Row = (String, String, Vec<String>);

/// Writes `rows` as a parquet file in SPEED-Bench's schema.
pub fn write_rows(path: &Path, rows: &[Row]) {
    let schema = Arc::new(parse_message_type(SCHEMA).unwrap());
    let file = std::fs::File::create(path).unwrap();
    let props = Arc::new(WriterProperties::builder().build());
    let mut writer = SerializedFileWriter::new(file, schema, props).unwrap();
    let mut group = writer.next_row_group().unwrap();
    let ones = vec![1i16; rows.len()];
    let mut column = 0;
    while let Some(mut col) = group.next_column().unwrap() {
        match column {
            0 | 1 => {
                let values: Vec<ByteArray> = rows
                    .iter()
                    .map(|r| {
                        ByteArray::from(if column == 0 {
                            r.0.as_str()
                        } else {
                            r.1.as_str()
                        })
                    })
                    .collect();
                col.typed::<ByteArrayType>()
                    .write_batch(&values, Some(&ones), None)
                    .unwrap();
            }
            2 => {
                let (mut values, mut def, mut rep) = (Vec::new(), Vec::new(), Vec::new());
                for (_, _, turns) in rows {
                    for (i, t) in turns.iter().enumerate() {
                        values.push(ByteArray::from(t.as_str()));
                        def.push(3);
                        rep.push(i16::from(i > 0));
                    }
                }
                col.typed::<ByteArrayType>()
                    .write_batch(&values, Some(&def), Some(&rep))
                    .unwrap();
            }
            _ => {
                let multi: Vec<bool> = rows.iter().map(|r| r.2.len() > 1).collect();
                col.typed::<BoolType>()
                    .write_batch(&multi, Some(&ones), None)
                    .unwrap();
            }
        }
        col.close().unwrap();
        column += 1;
    }
    group.close().unwrap();
    writer.close().unwrap();
}

/// The 11 SPEED-Bench categories, as the library lists them.
pub use gauntlet::dataset::public::variant::CATEGORIES;
