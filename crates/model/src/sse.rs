//! Server-sent events: an incremental parser, and the fold of OpenAI's stream of
//! `chat.completion.chunk` events into one [`Completion`].
//!
//! [`SseParser`] follows the WHATWG `text/event-stream` rules the chat APIs rely on: lines end
//! in `\n`, `\r\n` or `\r` (also when a network chunk splits the pair); a line starting with
//! `:` is a comment (servers send them as keep-alives); `data:` lines of one event are joined
//! with `\n`; one space after the colon is dropped; `event`, `id`, `retry` and unknown fields
//! are ignored; a blank line ends the event, and an event without data is not dispatched.
//! Bytes are kept until a whole line is there, so a UTF-8 character split between chunks is
//! decoded whole.
//!
//! [`StreamFold`] reads the events of a chat stream: each is a `chat.completion.chunk` whose
//! `choices[0].delta.content` is the next piece of text, until the event `[DONE]`. The final
//! usage chunk (empty `choices`, with `stream_options.include_usage`) gives the token counts.
//! A stream that stops before `[DONE]`, or in the middle of an event, is
//! [`ModelError::Interrupted`], never a partial success.

use persona_core::model::{Completion, ModelError};

use crate::wire::{ChatCompletionChunk, ErrorResponse, Usage, STREAM_DONE};

/// An incremental `text/event-stream` parser: feed it bytes as they arrive, get whole events.
#[derive(Debug, Default)]
pub struct SseParser {
    /// Bytes of a line not yet ended.
    line: Vec<u8>,
    /// The last byte fed was `\r`: a `\n` right after it belongs to the same line break.
    after_cr: bool,
    /// The data lines of the event being read, joined by `\n`.
    data: String,
    /// Whether the event being read has had a `data` field.
    has_data: bool,
    /// Whether any line of the event being read has been seen (a field or a comment).
    in_event: bool,
    /// Whether the first line has been read (a leading byte-order mark is dropped).
    started: bool,
}

impl SseParser {
    /// A parser at the start of a stream.
    pub fn new() -> Self {
        SseParser::default()
    }

    /// Feeds the next bytes; returns the `data` of every event they complete, in order.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<String> {
        let mut events = Vec::new();
        for &byte in bytes {
            if self.after_cr {
                self.after_cr = false;
                if byte == b'\n' {
                    continue;
                }
            }
            match byte {
                b'\n' => self.end_line(&mut events),
                b'\r' => {
                    self.after_cr = true;
                    self.end_line(&mut events);
                }
                _ => self.line.push(byte),
            }
        }
        events
    }

    /// Whether the stream stopped inside an event: a line or event begun but not ended by a
    /// blank line.
    pub fn has_partial_event(&self) -> bool {
        !self.line.is_empty() || self.in_event
    }

    fn end_line(&mut self, events: &mut Vec<String>) {
        let raw = std::mem::take(&mut self.line);
        let mut line = String::from_utf8_lossy(&raw).into_owned();
        if !self.started {
            self.started = true;
            if let Some(rest) = line.strip_prefix('\u{feff}') {
                line = rest.to_owned();
            }
        }
        if line.is_empty() {
            if self.has_data {
                events.push(std::mem::take(&mut self.data));
            }
            self.data.clear();
            self.has_data = false;
            self.in_event = false;
            return;
        }
        self.in_event = true;
        if line.starts_with(':') {
            return;
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line.as_str(), ""),
        };
        if field == "data" {
            if self.has_data {
                self.data.push('\n');
            }
            self.data.push_str(value);
            self.has_data = true;
        }
    }
}

/// The state of one streamed chat completion, fed event by event.
#[derive(Debug)]
pub struct StreamFold {
    text: String,
    model: Option<String>,
    usage: Option<Usage>,
    done: bool,
    requested_model: String,
}

impl StreamFold {
    /// A fold for a request that named `requested_model` (used when the chunks name none).
    pub fn new(requested_model: &str) -> Self {
        StreamFold {
            text: String::new(),
            model: None,
            usage: None,
            done: false,
            requested_model: requested_model.into(),
        }
    }

    /// Whether `[DONE]` has arrived.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Reads one event's data; returns the new piece of text, if the event carried one.
    pub fn event(&mut self, data: &str) -> Result<Option<String>, ModelError> {
        if self.done {
            return Ok(None);
        }
        if data.trim() == STREAM_DONE {
            self.done = true;
            return Ok(None);
        }
        // OpenAI reports a failure after the stream began as `data: {"error": {…}}`.
        if let Ok(failure) = serde_json::from_str::<ErrorResponse>(data) {
            return Err(ModelError::Interrupted(format!(
                "the endpoint reported an error mid-stream: {}",
                failure.error.message
            )));
        }
        let chunk: ChatCompletionChunk = serde_json::from_str(data).map_err(|error| {
            let shown: String = data.chars().take(200).collect();
            ModelError::Malformed(format!("a stream event is not a completion chunk: {error} ({shown:?})"))
        })?;
        if let Some(model) = chunk.model.filter(|model| !model.is_empty()) {
            self.model = Some(model);
        }
        if chunk.usage.is_some() {
            self.usage = chunk.usage;
        }
        let piece = chunk
            .choices
            .into_iter()
            .find(|choice| choice.index == 0)
            .and_then(|choice| choice.delta.content)
            .filter(|piece| !piece.is_empty());
        if let Some(piece) = &piece {
            self.text.push_str(piece);
        }
        Ok(piece)
    }

    /// The completion, once the body has ended; `parser` tells whether it stopped mid-event.
    pub fn finish(self, parser: &SseParser) -> Result<Completion, ModelError> {
        if !self.done {
            let why = if parser.has_partial_event() {
                "the stream was cut in the middle of an event"
            } else {
                "the stream ended without [DONE]"
            };
            return Err(ModelError::Interrupted(format!("{why} after {} characters", self.text.chars().count())));
        }
        Ok(Completion {
            text: self.text,
            model: self.model.unwrap_or(self.requested_model),
            prompt_tokens: self.usage.and_then(|usage| usage.prompt_tokens),
            completion_tokens: self.usage.and_then(|usage| usage.completion_tokens),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(parser: &mut SseParser, chunks: &[&[u8]]) -> Vec<String> {
        chunks.iter().flat_map(|chunk| parser.push(chunk)).collect()
    }

    #[test]
    fn events_split_across_chunks_at_every_byte() {
        let stream = "data: {\"a\":1}\n\ndata: é two\n\n";
        for cut in 0..=stream.len() {
            let (head, tail) = stream.as_bytes().split_at(cut);
            let mut parser = SseParser::new();
            assert_eq!(all(&mut parser, &[head, tail]), ["{\"a\":1}", "é two"], "cut at {cut}");
            assert!(!parser.has_partial_event());
        }
    }

    #[test]
    fn crlf_and_lone_cr_end_lines_even_when_split() {
        let mut parser = SseParser::new();
        assert_eq!(all(&mut parser, &[b"data: one\r", b"\n\r", b"\ndata: two\r\r"]), ["one", "two"]);
        assert!(!parser.has_partial_event());
    }

    #[test]
    fn comments_other_fields_and_multiline_data() {
        let mut parser = SseParser::new();
        let stream =
            b"\xef\xbb\xbf: keep-alive\n\nevent: message\nid: 7\nretry: 100\ndata:first\ndata:  second\nfoo\n\n";
        assert_eq!(parser.push(stream), ["first\n second"]);
        assert_eq!(parser.push(b": only a comment\n\n"), Vec::<String>::new());
        assert_eq!(parser.push(b"data\n\n"), [""], "a bare `data` line is an empty data value");
    }

    #[test]
    fn a_partial_event_is_reported() {
        let mut parser = SseParser::new();
        assert!(parser.push(b"data: {\"cho").is_empty());
        assert!(parser.has_partial_event());
        let mut parser = SseParser::new();
        assert!(parser.push(b"data: whole line\n").is_empty());
        assert!(parser.has_partial_event(), "a line without the blank line that ends its event");
    }

    fn chunk(content: &str) -> String {
        serde_json::json!({"object": "chat.completion.chunk", "model": "served",
            "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": null}]})
        .to_string()
    }

    #[test]
    fn fold_concatenates_pieces_and_reads_usage() {
        let mut fold = StreamFold::new("asked");
        let role = r#"{"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}"#;
        assert_eq!(fold.event(role).unwrap(), None);
        assert_eq!(fold.event(&chunk("Hel")).unwrap().as_deref(), Some("Hel"));
        assert_eq!(fold.event(&chunk("lo")).unwrap().as_deref(), Some("lo"));
        let usage = r#"{"choices":[],"usage":{"prompt_tokens":4,"completion_tokens":2,"total_tokens":6}}"#;
        assert_eq!(fold.event(usage).unwrap(), None);
        assert_eq!(fold.event("[DONE]").unwrap(), None);
        assert!(fold.is_done());
        let completion = fold.finish(&SseParser::new()).unwrap();
        assert_eq!(
            completion,
            Completion {
                text: "Hello".into(),
                model: "served".into(),
                prompt_tokens: Some(4),
                completion_tokens: Some(2)
            }
        );
    }

    #[test]
    fn missing_done_is_interrupted_and_garbage_is_malformed() {
        let mut fold = StreamFold::new("m");
        fold.event(&chunk("partial")).unwrap();
        assert!(
            matches!(fold.finish(&SseParser::new()), Err(ModelError::Interrupted(m)) if m.contains("without [DONE]"))
        );
        let mut parser = SseParser::new();
        parser.push(b"data: {\"cho");
        let fold = StreamFold::new("m");
        assert!(matches!(fold.finish(&parser), Err(ModelError::Interrupted(m)) if m.contains("middle of an event")));
        let mut fold = StreamFold::new("m");
        assert!(matches!(fold.event("not json"), Err(ModelError::Malformed(_))));
        let error = r#"{"error":{"message":"overloaded","type":"server_error"}}"#;
        assert!(matches!(fold.event(error), Err(ModelError::Interrupted(m)) if m.contains("overloaded")));
    }
}
