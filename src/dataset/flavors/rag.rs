//! rag: one request per row: the document named by `doc_id`, then the query. A document's
//! text is made once, from the `("rag_document", d)` stream with `d` its order of first
//! appearance, at the length of `doc_length` on its first row (else the configured document
//! length), so every request about the same document repeats the same text (the prefix cache
//! sees the reuse a RAG system causes). The query is the row's `prompt_text`, or corpus text of
//! `input_length` minus the document's length. `output_length` gives `max_tokens`.
//! `rag_num_documents` keeps only the rows of the most frequent documents, as Veeksha's
//! `num_documents` does (ties go to the document seen first).

use std::collections::HashMap;

use super::rows::Row;
use super::{
    required_u32, row_time_ms, Content, Document, FlavorError, FlavorOptions, Query,
    SessionTemplate, Trace, TurnTemplate,
};

const FLAVOR: &str = "rag";
const NEEDS: &str = "doc_id, output_length, prompt_text or input_length; optional doc_length, \
                     timestamp|arrived_at";

/// Rows → single-turn requests sharing per-document text.
pub(crate) fn parse(rows: Vec<Row>, opts: &FlavorOptions) -> Result<Trace, FlavorError> {
    let mut doc_ids = Vec::with_capacity(rows.len());
    for row in &rows {
        let id = row
            .opt_id("doc_id")?
            .ok_or_else(|| FlavorError::MissingColumn {
                at: row.at.clone(),
                key: "doc_id".to_string(),
                flavor: FLAVOR,
                needs: NEEDS,
            })?;
        doc_ids.push(id);
    }
    let keep = kept_documents(&doc_ids, opts.rag_num_documents);
    let mut documents: Vec<Document> = Vec::new();
    let mut ordinal: HashMap<&str, usize> = HashMap::new();
    let mut sessions = Vec::new();
    for (row, id) in rows.iter().zip(&doc_ids) {
        if !keep(id) {
            continue;
        }
        let document = match ordinal.get(id.as_str()) {
            Some(&d) => d,
            None => {
                let tokens = row
                    .opt_u32("doc_length")?
                    .unwrap_or(opts.rag_document_tokens);
                ordinal.insert(id, documents.len());
                documents.push(Document {
                    at: row.at.clone(),
                    tokens,
                });
                documents.len() - 1
            }
        };
        let query = match row.opt_text("prompt_text")? {
            Some(text) => Query::Text(text),
            None => {
                let total = required_u32(row, "input_length", FLAVOR, NEEDS)?;
                let doc_tokens = documents[document].tokens;
                if total <= doc_tokens {
                    return Err(FlavorError::WrongType {
                        at: row.at.clone(),
                        key: "input_length".to_string(),
                        expected: "more tokens than the document, to leave room for a query",
                        found: format!("{total} <= document length {doc_tokens}"),
                    });
                }
                Query::Synthetic(total - doc_tokens)
            }
        };
        sessions.push(SessionTemplate {
            turns: vec![TurnTemplate {
                at: row.at.clone(),
                content: Content::Rag { document, query },
                max_tokens: Some(required_u32(row, "output_length", FLAVOR, NEEDS)?.max(1)),
                parents: Vec::new(),
                history: None,
                delay_ms: 0,
                timestamp_ms: row_time_ms(row)?,
            }],
        });
    }
    Ok(Trace {
        sessions,
        documents,
        grouped: false,
    })
}

/// A filter keeping the `limit` most frequent documents (all when `None`).
fn kept_documents(doc_ids: &[String], limit: Option<u32>) -> impl Fn(&str) -> bool {
    let mut counts: Vec<(String, usize, usize)> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (first_seen, id) in doc_ids.iter().enumerate() {
        match index.get(id.as_str()) {
            Some(&i) => counts[i].1 += 1,
            None => {
                index.insert(id, counts.len());
                counts.push((id.clone(), 1, first_seen));
            }
        }
    }
    counts.sort_by_key(|&(_, count, first_seen)| (std::cmp::Reverse(count), first_seen));
    let kept: std::collections::HashSet<String> = counts
        .into_iter()
        .take(limit.map_or(usize::MAX, |l| l.max(1) as usize))
        .map(|(id, _, _)| id)
        .collect();
    move |id: &str| kept.contains(id)
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{count, error_of, load, temp_trace};
    use super::super::{FlavorOptions, TraceFlavor};

    const FLAVOR: TraceFlavor = TraceFlavor::Rag;

    fn opts() -> FlavorOptions {
        FlavorOptions {
            rag_document_tokens: 64,
            ..FlavorOptions::default()
        }
    }

    #[test]
    fn same_doc_id_gives_the_same_document_before_each_query() {
        let w = load(FLAVOR, "rag.jsonl", &opts()).unwrap();
        assert!(!w.is_multi_turn());
        assert_eq!(w.entries.len(), 4);
        let doc = |i: usize, query: &str| {
            let suffix = format!("\n\n{query}");
            w.entries[i]
                .prompt
                .strip_suffix(&suffix)
                .unwrap()
                .to_string()
        };
        let manual = doc(0, "How do I reset the device?");
        assert_eq!(
            manual,
            doc(2, "What does the warranty cover?"),
            "doc 'manual' twice"
        );
        assert_eq!(count(&manual), 64);
        let seventeen = doc(1, "Summarise section 3.");
        assert_ne!(manual, seventeen);
        assert_eq!(count(&seventeen), 30, "doc_length overrides the default");
        assert!(w.entries[3].prompt.starts_with(&format!("{seventeen}\n\n")));
        for e in &w.entries {
            assert_eq!(e.input_tokens, count(&e.prompt));
        }
        // A synthetic query fills input_length minus the document.
        assert_eq!(w.entries[3].max_tokens, Some(12));
        assert!(
            (99..=101).contains(&w.entries[3].input_tokens),
            "{}",
            w.entries[3].input_tokens
        );
        assert_eq!(w.entries[1].timestamp_ms, Some(100));
    }

    #[test]
    fn num_documents_keeps_the_most_frequent() {
        let o = FlavorOptions {
            rag_num_documents: Some(1),
            ..opts()
        };
        let w = load(FLAVOR, "rag.jsonl", &o).unwrap();
        assert_eq!(w.entries.len(), 2);
        assert!(w
            .entries
            .iter()
            .all(|e| e.prompt.contains("reset") || e.prompt.contains("warranty")));
    }

    #[test]
    fn malformed_rows_are_named() {
        let (_d, path) = temp_trace(
            "r.jsonl",
            "{\"prompt_text\": \"q\", \"output_length\": 3}\n",
        );
        let msg = error_of(FLAVOR, &path);
        assert!(msg.contains("r.jsonl:1: missing column 'doc_id'"), "{msg}");

        let (_d, path) = temp_trace(
            "r.jsonl",
            "{\"doc_id\": 1, \"input_length\": 10, \"doc_length\": 20, \"output_length\": 3}\n",
        );
        let msg = error_of(FLAVOR, &path);
        assert!(
            msg.contains("r.jsonl:1: column 'input_length' should be more tokens"),
            "{msg}"
        );

        let (_d, path) = temp_trace(
            "r.jsonl",
            "{\"doc_id\": [1], \"prompt_text\": \"q\", \"output_length\": 3}\n",
        );
        let msg = error_of(FLAVOR, &path);
        assert!(
            msg.contains("column 'doc_id' should be a string or integer id"),
            "{msg}"
        );
    }
}
