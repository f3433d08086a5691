//! `inputs.json`: every request body the run sent, grouped by session, in AIPerf's layout
//! `{"data":[{"session_id":…,"payloads":[…]}]}`. Bodies are already JSON and are copied
//! verbatim, streamed to the file so a large workload is never held twice in memory. An
//! `image_edit` body (a multipart form) is shown as a JSON object of its fields, its image as
//! a short placeholder.

use std::io::{self, Write};

/// Writes the document; consecutive entries with the same session id share one `payloads`
/// list (the turns of a conversation).
pub fn write(
    out: &mut dyn Write,
    entries: &mut dyn Iterator<Item = (&str, &[u8])>,
) -> io::Result<()> {
    let mut doc = InputsDoc::start(out)?;
    for (session_id, body) in entries {
        doc.push(session_id, body)?;
    }
    doc.end()
}

/// `inputs.json` written a body at a time, for bodies that arrive while the run goes on.
pub struct InputsDoc<'a> {
    out: &'a mut dyn Write,
    current: Option<String>,
}

impl<'a> InputsDoc<'a> {
    /// Writes the document's head.
    pub fn start(out: &'a mut dyn Write) -> io::Result<Self> {
        out.write_all(b"{\n  \"data\": [")?;
        Ok(Self { out, current: None })
    }

    /// Adds one body; it joins the previous one's `payloads` when the session id is the same.
    pub fn push(&mut self, session_id: &str, body: &[u8]) -> io::Result<()> {
        let out = &mut *self.out;
        if self.current.as_deref() == Some(session_id) {
            out.write_all(b",\n        ")?;
        } else {
            if self.current.is_some() {
                out.write_all(b"\n      ]\n    },")?;
            }
            out.write_all(b"\n    {\n      \"session_id\": ")?;
            serde_json::to_writer(&mut *out, session_id)?;
            out.write_all(b",\n      \"payloads\": [\n        ")?;
            self.current = Some(session_id.to_owned());
        }
        match crate::payload::multipart::summary(body) {
            // An image_edit form: its fields, the image as a placeholder, not raw bytes.
            Some(fields) => serde_json::to_writer(&mut *out, &fields)?,
            None => out.write_all(body.trim_ascii())?,
        }
        Ok(())
    }

    /// Closes the document.
    pub fn end(self) -> io::Result<()> {
        if self.current.is_some() {
            self.out.write_all(b"\n      ]\n    }\n  ")?;
        }
        self.out.write_all(b"]\n}\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_turns_by_session_and_parses_back() {
        let entries = [
            (
                "session_000000",
                &br#"{"model":"m","messages":[{"role":"user","content":"a"}]}"#[..],
            ),
            ("session_000001", &br#"{"model":"m","messages":[]}"#[..]),
            ("session_000001", &br#"{"model":"m","stream":true}"#[..]),
        ];
        let mut out = Vec::new();
        write(&mut out, &mut entries.iter().copied()).unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
        let data = doc["data"].as_array().unwrap();
        assert_eq!(data.len(), 2);
        assert_eq!(data[0]["session_id"], "session_000000");
        assert_eq!(data[0]["payloads"][0]["messages"][0]["content"], "a");
        assert_eq!(data[1]["payloads"].as_array().unwrap().len(), 2);
        assert_eq!(data[1]["payloads"][1]["stream"], true);
    }

    #[test]
    fn a_multipart_body_is_shown_as_its_fields() {
        use crate::payload::multipart::BOUNDARY;
        let form = format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"prompt\"\r\n\r\nhi\r\n\
             --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"image.png\"\r\n\
             Content-Type: image/png\r\n\r\n\u{1}\u{2}\u{3}\r\n--{BOUNDARY}--\r\n"
        );
        let entries = [("session_000000", form.as_bytes())];
        let mut out = Vec::new();
        write(&mut out, &mut entries.iter().copied()).unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            doc["data"][0]["payloads"][0],
            serde_json::json!({"prompt": "hi", "image": "<image/png, 3 bytes>"})
        );
    }

    #[test]
    fn empty_workload_is_still_valid_json() {
        let mut out = Vec::new();
        write(&mut out, &mut std::iter::empty()).unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(doc["data"], serde_json::json!([]));
    }
}
