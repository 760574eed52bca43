//! Character card files: import and export of Character Card V1/V2/V3 as JSON or PNG.
//!
//! [`import_card`] takes the bytes of a file and gives a [`Persona`] or a [`CardImportError`]
//! whose message says in plain words what is wrong; a malformed card never gives a partial
//! persona. [`export_card_json`] and [`export_card_png`] write a persona back out.
//!
//! Format choices, after the V2 spec (`malfoyslastname/character-card-spec-v2`) and the V3 spec
//! (`kwaroran/character-card-spec-v3`):
//!
//! - **Detection.** A file that starts with the PNG signature is a PNG; anything else must be
//!   UTF-8 text (a leading byte-order mark is ignored) that starts with `{` or `[`.
//! - **PNG.** A card is a `tEXt` chunk whose text is standard base64 of the card's UTF-8 JSON:
//!   keyword `ccv3` for V3, `chara` for V2 (compared case-insensitively: some writers
//!   capitalise them). When both are present `ccv3` wins, as V3 asks; a damaged `ccv3` is an
//!   error, not a silent fall-back to `chara`. The reader walks the chunks from the signature,
//!   checks every chunk's CRC, requires `IHDR` first and stops at `IEND`; the walk is bounded by
//!   the input (every chunk consumes at least 12 bytes, and a chunk may not claim more than
//!   2³¹−1 bytes or more than the file holds). Base64 padding is optional on import, written on
//!   export. `zTXt`/`iTXt` chunks are not read: both specs say `tEXt`.
//! - **V1** (no `spec`, the fields at the top level) is lifted to V2 shape: the six V1 fields
//!   move into `data`, every other top-level field stays where it was.
//! - **Validation.** `spec` must be `chara_card_v2` or `chara_card_v3` and `data.name` must not
//!   be blank (the rules of [`Persona::from_card_json`]); every field the spec defines must have
//!   the spec's type (a string, a list of strings, an object…). `null` is read as "absent" for
//!   the spec's fields. Fields the spec does not define are kept verbatim and never checked.
//! - **Normalisation.** The fields a spec requires are filled in when missing, on import and
//!   on export alike, so import → export → import gives an equal [`Persona`]. V2 requires
//!   `creator_notes`, `system_prompt`, `post_history_instructions`, `creator`,
//!   `character_version` (empty strings), `alternate_greetings`, `tags` (empty lists) and
//!   `extensions` (`{}`); `character_book` is optional and never added. V3 additionally
//!   requires `group_only_greetings` (`[]`); its `assets` is optional, but V3 says an absent
//!   `assets` means `[{"type":"icon","uri":"ccdefault:","name":"main","ext":"png"}]`, so a V3
//!   card gets exactly that list when it has none. `nickname`, `creator_notes_multilingual`,
//!   `source` and the dates stay optional. A V3 card keeps `first_mes`, `system_prompt` and the
//!   other V2 fields: V3's own interface lists them (its prose calls them removed but lets an
//!   application keep them), and our engine reads them.
//! - **Export.** V2 writes `spec: "chara_card_v2"`, `spec_version: "2.0"`; V3 writes
//!   `chara_card_v3`, `"3.0"`. Every unknown field (top level, in `data`, all of
//!   `data.extensions`) is written back unchanged. A V3 PNG carries both `ccv3` and a V2
//!   `chara` backfill for older apps; as V3 recommends, the backfill's `creator_notes` starts
//!   with a note that the card is really V3 (the `ccv3` chunk, which we read first, has none).
//! - **The default image.** Without an image, [`export_card_png`] writes a 64×64 PNG in one
//!   flat colour derived from the name: 1-bit indexed colour (a one-entry palette), so the
//!   pixel data is 576 zero bytes, stored in a zlib stream of *stored* deflate blocks written
//!   by hand. No image codec ships in the core (it runs in wasm).

use base64::engine::general_purpose::{STANDARD, STANDARD_PAD_INDIFFERENT};
use base64::Engine as _;
use serde_json::{json, Map, Value};
use thiserror::Error;

use crate::persona::{CharacterCard, Persona, PersonaProfile, EXTENSION_KEY};

/// The Character Card versions we write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CardFormat {
    /// `chara_card_v2`, spec version `2.0`.
    V2,
    /// `chara_card_v3`, spec version `3.0`.
    V3,
}

impl CardFormat {
    /// The value of the card's `spec` field.
    pub fn spec(self) -> &'static str {
        match self {
            CardFormat::V2 => SPEC_V2,
            CardFormat::V3 => SPEC_V3,
        }
    }

    /// The value of the card's `spec_version` field.
    pub fn spec_version(self) -> &'static str {
        match self {
            CardFormat::V2 => "2.0",
            CardFormat::V3 => "3.0",
        }
    }

    /// The format a card says it is in (anything but `chara_card_v3` is V2).
    pub fn of(card: &CharacterCard) -> CardFormat {
        if card.spec == SPEC_V3 {
            CardFormat::V3
        } else {
            CardFormat::V2
        }
    }
}

const SPEC_V2: &str = "chara_card_v2";
const SPEC_V3: &str = "chara_card_v3";

/// The PNG `tEXt` keyword of a V2 card.
pub const CHUNK_V2: &str = "chara";
/// The PNG `tEXt` keyword of a V3 card.
pub const CHUNK_V3: &str = "ccv3";

/// What V3 asks a V2 backfill to tell its reader (prepended to the backfill's `creator_notes`).
pub const BACKFILL_NOTE: &str = "This character card is Character Card V3, but it is loaded as a Character Card V2. \
Please use a Character Card V3 compatible application to use this character card properly.";

/// Why a card file could not be read (or an image could not carry a card).
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum CardImportError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is neither a PNG nor JSON")]
    NotPngOrJson,
    #[error("the image is not a PNG (only a PNG can carry a character card)")]
    NotPng,
    #[error("the PNG is cut short: {0}")]
    PngTruncated(String),
    #[error("the PNG is damaged: chunk `{chunk}` fails its checksum")]
    PngChecksum { chunk: String },
    #[error("the PNG is damaged: {0}")]
    PngDamaged(String),
    #[error("this PNG has no character card in it (no `chara` or `ccv3` text chunk)")]
    PngNoCard,
    #[error("the card's `{chunk}` chunk is not valid base64")]
    Base64 { chunk: String },
    #[error("the card's `{chunk}` chunk does not hold UTF-8 text")]
    ChunkNotUtf8 { chunk: String },
    #[error("the card JSON is invalid at line {line}, column {column}: {message}")]
    InvalidJson { line: usize, column: usize, message: String },
    #[error("this JSON is not a character card: {0}")]
    NotACard(String),
    #[error("unsupported card spec `{0}` (expected `chara_card_v2` or `chara_card_v3`)")]
    UnsupportedSpec(String),
    #[error("field `{0}` is missing")]
    MissingField(String),
    #[error("field `{path}` must be {expected}")]
    WrongType { path: String, expected: &'static str },
    #[error("`{0}` is empty: a card needs a name")]
    EmptyName(String),
    #[error("field `{path}` is invalid: {message}")]
    InvalidField { path: String, message: String },
}

type Result<T, E = CardImportError> = std::result::Result<T, E>;

// ---------------------------------------------------------------------------------------------
// Import
// ---------------------------------------------------------------------------------------------

/// Reads a character card file: a PNG with a `ccv3` or `chara` text chunk, or a V1/V2/V3 JSON.
pub fn import_card(bytes: &[u8]) -> Result<Persona> {
    if bytes.is_empty() {
        return Err(CardImportError::Empty);
    }
    if bytes.starts_with(&PNG_SIGNATURE) {
        return import_png(bytes);
    }
    let text = std::str::from_utf8(strip_bom(bytes)).map_err(|_| CardImportError::NotPngOrJson)?;
    if !matches!(text.trim_start().chars().next(), Some('{' | '[')) {
        return Err(CardImportError::NotPngOrJson);
    }
    import_json(text)
}

fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

fn import_png(png: &[u8]) -> Result<Persona> {
    let chunks = read_chunks(png)?;
    let (keyword, text) = [CHUNK_V3, CHUNK_V2]
        .into_iter()
        .find_map(|keyword| chunks.iter().find_map(|chunk| card_text(chunk, keyword)).map(|text| (keyword, text)))
        .ok_or(CardImportError::PngNoCard)?;
    let chunk = || keyword.to_string();
    let trimmed = text.trim_ascii();
    let json = STANDARD_PAD_INDIFFERENT.decode(trimmed).map_err(|_| CardImportError::Base64 { chunk: chunk() })?;
    let json = std::str::from_utf8(strip_bom(&json)).map_err(|_| CardImportError::ChunkNotUtf8 { chunk: chunk() })?;
    import_json(json)
}

fn import_json(text: &str) -> Result<Persona> {
    let value: Value = serde_json::from_str(text).map_err(json_error)?;
    let Value::Object(root) = value else {
        return Err(CardImportError::NotACard("a card is a JSON object (`{ … }`)".into()));
    };
    card_from_object(root)
}

/// serde_json's syntax error in our words: the position first, "EOF" spelt out.
fn json_error(error: serde_json::Error) -> CardImportError {
    let (line, column) = (error.line(), error.column());
    let full = error.to_string();
    let message = full.strip_suffix(&format!(" at line {line} column {column}")).unwrap_or(&full);
    let message = match message.strip_prefix("EOF while parsing ") {
        Some(what) => format!("the text ends in the middle of {what}"),
        None => message.to_string(),
    };
    CardImportError::InvalidJson { line, column, message }
}

/// Validates and normalises a parsed card, then builds the persona. Nothing is returned unless
/// every check passes.
fn card_from_object(mut root: Map<String, Value>) -> Result<Persona> {
    let (format, prefix) = match root.get("spec") {
        Some(Value::String(spec)) if spec == SPEC_V2 => (CardFormat::V2, "data."),
        Some(Value::String(spec)) if spec == SPEC_V3 => (CardFormat::V3, "data."),
        Some(Value::String(spec)) => return Err(CardImportError::UnsupportedSpec(spec.clone())),
        Some(_) => return Err(wrong_type("spec", "a string")),
        None if root.contains_key("data") => return Err(CardImportError::MissingField("spec".into())),
        None if root.contains_key("name") => {
            root = v1_to_v2(root);
            (CardFormat::V2, "")
        }
        None => return Err(CardImportError::NotACard("it has neither a `spec` nor a `name`".into())),
    };
    match root.get("spec_version") {
        None | Some(Value::Null) => {
            root.insert("spec_version".into(), format.spec_version().into());
        }
        Some(Value::String(_)) => {}
        Some(_) => return Err(wrong_type("spec_version", "a string such as \"2.0\"")),
    }
    let data = match root.get_mut("data") {
        Some(Value::Object(data)) => data,
        Some(_) => return Err(wrong_type("data", "an object")),
        None => return Err(CardImportError::MissingField("data".into())),
    };
    validate_data(data, format, prefix)?;
    // `null` means "absent" for the spec's fields: the typed ones then take their defaults.
    for field in TYPED_FIELDS {
        if data.get(field) == Some(&Value::Null) {
            data.remove(field);
        }
    }
    fill_required(data, format);

    let card: CharacterCard = serde_path_to_error::deserialize(Value::Object(root)).map_err(|e| invalid("", e))?;
    let profile: PersonaProfile = match card.data.extensions.get(EXTENSION_KEY) {
        Some(value) => serde_path_to_error::deserialize(value.clone())
            .map_err(|e| invalid(&format!("data.extensions.{EXTENSION_KEY}"), e))?,
        None => PersonaProfile::default(),
    };
    Ok(Persona { card, profile })
}

fn wrong_type(path: &str, expected: &'static str) -> CardImportError {
    CardImportError::WrongType { path: path.to_string(), expected }
}

fn invalid(prefix: &str, error: serde_path_to_error::Error<serde_json::Error>) -> CardImportError {
    let inner = error.path().to_string();
    let path = match (prefix.is_empty(), inner == ".") {
        (_, true) => prefix.to_string(),
        (true, false) => inner,
        (false, false) => format!("{prefix}.{inner}"),
    };
    CardImportError::InvalidField { path, message: error.into_inner().to_string() }
}

/// The V1 fields, which V2 moved into `data`.
const V1_FIELDS: [&str; 6] = ["name", "description", "personality", "scenario", "first_mes", "mes_example"];

/// A V1 card (fields at the top level, no `spec`) in V2 shape.
fn v1_to_v2(mut root: Map<String, Value>) -> Map<String, Value> {
    let mut data = Map::new();
    for field in V1_FIELDS {
        if let Some(value) = root.remove(field) {
            data.insert(field.into(), value);
        }
    }
    root.insert("spec".into(), SPEC_V2.into());
    root.insert("spec_version".into(), CardFormat::V2.spec_version().into());
    root.insert("data".into(), Value::Object(data));
    root
}

/// The `data` fields [`crate::persona::CardData`] types itself (besides `name`).
const TYPED_FIELDS: [&str; 6] = ["description", "personality", "scenario", "first_mes", "mes_example", "extensions"];
/// Text fields of V2 (and V3).
const STRING_FIELDS: [&str; 10] = [
    "description",
    "personality",
    "scenario",
    "first_mes",
    "mes_example",
    "creator_notes",
    "system_prompt",
    "post_history_instructions",
    "creator",
    "character_version",
];
/// The V2 text fields `data` must have that [`crate::persona::CardData`] keeps in `extra`.
const REQUIRED_EXTRA_STRINGS: [&str; 5] =
    ["creator_notes", "system_prompt", "post_history_instructions", "creator", "character_version"];
/// List-of-text fields V2 requires.
const REQUIRED_LISTS: [&str; 2] = ["alternate_greetings", "tags"];

/// Checks the type of every field the card's spec defines (`prefix` is the path of `data`).
fn validate_data(data: &Map<String, Value>, format: CardFormat, prefix: &str) -> Result<()> {
    let path = |field: &str| format!("{prefix}{field}");
    let absent = |value: Option<&Value>| matches!(value, None | Some(Value::Null));
    match data.get("name") {
        None => return Err(CardImportError::MissingField(path("name"))),
        Some(Value::String(name)) if name.trim().is_empty() => return Err(CardImportError::EmptyName(path("name"))),
        Some(Value::String(_)) => {}
        Some(Value::Null) => return Err(CardImportError::EmptyName(path("name"))),
        Some(_) => return Err(wrong_type(&path("name"), "a string")),
    }
    let strings: &[&str] = if format == CardFormat::V3 { &["nickname"] } else { &[] };
    for field in STRING_FIELDS.iter().chain(strings) {
        let value = data.get(*field);
        if !absent(value) && !matches!(value, Some(Value::String(_))) {
            return Err(wrong_type(&path(field), "a string"));
        }
    }
    let lists: &[&str] = if format == CardFormat::V3 { &["group_only_greetings", "source"] } else { &[] };
    for field in REQUIRED_LISTS.iter().chain(lists) {
        let value = data.get(*field);
        if !absent(value) && !is_string_list(value) {
            return Err(wrong_type(&path(field), "a list of strings"));
        }
    }
    for field in ["extensions", "character_book"] {
        let value = data.get(field);
        if !absent(value) && !matches!(value, Some(Value::Object(_))) {
            return Err(wrong_type(&path(field), "an object"));
        }
    }
    if format == CardFormat::V3 {
        validate_v3(data, &path)?;
    }
    Ok(())
}

fn is_string_list(value: Option<&Value>) -> bool {
    matches!(value, Some(Value::Array(items)) if items.iter().all(Value::is_string))
}

/// The fields V3 adds: `assets`, `creator_notes_multilingual`, the dates.
fn validate_v3(data: &Map<String, Value>, path: &dyn Fn(&str) -> String) -> Result<()> {
    match data.get("assets") {
        None | Some(Value::Null) => {}
        Some(Value::Array(assets)) => {
            for (i, asset) in assets.iter().enumerate() {
                let at = |key: &str| format!("{}[{i}].{key}", path("assets"));
                let Value::Object(asset) = asset else {
                    return Err(wrong_type(&format!("{}[{i}]", path("assets")), "an object"));
                };
                for (key, required) in [("type", true), ("uri", true), ("name", false), ("ext", false)] {
                    match asset.get(key) {
                        Some(Value::String(_)) => {}
                        None if !required => {}
                        None => return Err(CardImportError::MissingField(at(key))),
                        Some(_) => return Err(wrong_type(&at(key), "a string")),
                    }
                }
            }
        }
        Some(_) => return Err(wrong_type(&path("assets"), "a list of assets")),
    }
    match data.get("creator_notes_multilingual") {
        None | Some(Value::Null) => {}
        Some(Value::Object(notes)) if notes.values().all(Value::is_string) => {}
        Some(_) => {
            return Err(wrong_type(&path("creator_notes_multilingual"), "an object of language code → text"));
        }
    }
    for field in ["creation_date", "modification_date"] {
        if !matches!(data.get(field), None | Some(Value::Null | Value::Number(_))) {
            return Err(wrong_type(&path(field), "a number (seconds since 1970)"));
        }
    }
    Ok(())
}

/// Adds the fields the spec requires that `data` lacks (or holds as `null`), with empty
/// defaults. Only touches fields [`crate::persona::CardData`] keeps in `extra`, so it works on
/// the raw `data` object and on `CardData::extra` alike.
fn fill_required(data: &mut Map<String, Value>, format: CardFormat) {
    let mut fill = |field: &str, default: Value| {
        let slot = data.entry(field).or_insert(Value::Null);
        if slot.is_null() {
            *slot = default;
        }
    };
    for field in REQUIRED_EXTRA_STRINGS {
        fill(field, Value::String(String::new()));
    }
    for field in REQUIRED_LISTS {
        fill(field, Value::Array(Vec::new()));
    }
    if format == CardFormat::V3 {
        fill("group_only_greetings", Value::Array(Vec::new()));
        fill("assets", json!([{ "type": "icon", "uri": "ccdefault:", "name": "main", "ext": "png" }]));
    }
}

// ---------------------------------------------------------------------------------------------
// Export
// ---------------------------------------------------------------------------------------------

/// The persona as a card of the given format, with the fields that format requires.
fn export_card(persona: &Persona, format: CardFormat) -> CharacterCard {
    let mut card = persona.card_with_profile();
    card.spec = format.spec().into();
    card.spec_version = format.spec_version().into();
    fill_required(&mut card.data.extra, format);
    card
}

/// The persona as a card JSON (pretty-printed) in the given format. Every field of the card
/// we do not know, and all of `data.extensions`, is written back unchanged.
pub fn export_card_json(persona: &Persona, format: CardFormat) -> String {
    serde_json::to_string_pretty(&export_card(persona, format)).expect("a card always serialises")
}

/// The persona as a PNG card. `image` is the PNG to carry it (any card chunks already in it
/// are replaced, every other chunk is kept byte for byte); without one, a small flat-coloured
/// PNG is generated. V2 writes a `chara` chunk; V3 writes `ccv3` and a V2 `chara` backfill.
/// Fails only when `image` is not a sound PNG.
pub fn export_card_png(persona: &Persona, format: CardFormat, image: Option<&[u8]>) -> Result<Vec<u8>> {
    let generated;
    let image = match image {
        Some(image) => image,
        None => {
            generated = default_png(persona.name());
            &generated
        }
    };
    if !image.starts_with(&PNG_SIGNATURE) {
        return Err(CardImportError::NotPng);
    }
    let chunks = read_chunks(image)?;

    let mut text_chunks = Vec::new();
    if format == CardFormat::V3 {
        let v3 = serde_json::to_string(&export_card(persona, CardFormat::V3)).expect("a card always serialises");
        text_chunks.push((CHUNK_V3, v3));
    }
    let mut v2 = export_card(persona, CardFormat::V2);
    if format == CardFormat::V3 {
        let notes = v2.data.extra.get("creator_notes").and_then(Value::as_str).unwrap_or_default();
        let notes = if notes.is_empty() { BACKFILL_NOTE.to_string() } else { format!("{BACKFILL_NOTE}\n\n{notes}") };
        v2.data.extra.insert("creator_notes".into(), notes.into());
    }
    text_chunks.push((CHUNK_V2, serde_json::to_string(&v2).expect("a card always serialises")));

    let extra: usize = text_chunks.iter().map(|(_, json)| json.len() * 4 / 3 + 32).sum();
    let mut out = Vec::with_capacity(image.len() + extra);
    out.extend_from_slice(&PNG_SIGNATURE);
    for chunk in &chunks {
        if &chunk.kind == b"IEND" {
            for (keyword, json) in &text_chunks {
                let mut text = Vec::with_capacity(keyword.len() + 1 + json.len() * 4 / 3 + 4);
                text.extend_from_slice(keyword.as_bytes());
                text.push(0);
                text.extend_from_slice(STANDARD.encode(json).as_bytes());
                write_chunk(&mut out, b"tEXt", &text);
            }
        } else if is_card_chunk(chunk) {
            continue;
        }
        out.extend_from_slice(chunk.raw);
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// PNG
// ---------------------------------------------------------------------------------------------

const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];
/// The PNG spec's limit on a chunk's length.
const MAX_CHUNK_LEN: usize = 0x7fff_ffff;

/// One chunk of a PNG, borrowed from the file.
struct Chunk<'a> {
    kind: [u8; 4],
    data: &'a [u8],
    /// The whole chunk as it is in the file: length, type, data, CRC.
    raw: &'a [u8],
}

/// Every chunk from `IHDR` to `IEND`, each CRC checked. `png` starts with the signature.
fn read_chunks(png: &[u8]) -> Result<Vec<Chunk<'_>>> {
    let mut rest = &png[PNG_SIGNATURE.len()..];
    let mut chunks: Vec<Chunk<'_>> = Vec::new();
    loop {
        if rest.len() < 8 {
            return Err(CardImportError::PngTruncated(match rest.is_empty() {
                true => "it ends before its IEND chunk".into(),
                false => "it ends inside a chunk header".into(),
            }));
        }
        let len = u32::from_be_bytes(rest[..4].try_into().expect("4 bytes")) as usize;
        let kind: [u8; 4] = rest[4..8].try_into().expect("4 bytes");
        if !kind.iter().all(u8::is_ascii_alphabetic) {
            return Err(CardImportError::PngDamaged("a chunk has an invalid name".into()));
        }
        let name = String::from_utf8_lossy(&kind).into_owned();
        if len > MAX_CHUNK_LEN {
            return Err(CardImportError::PngDamaged(format!("chunk `{name}` claims an impossible length")));
        }
        if rest.len() - 8 < len + 4 {
            return Err(CardImportError::PngTruncated(format!("it ends inside chunk `{name}`")));
        }
        let data = &rest[8..8 + len];
        let stored = u32::from_be_bytes(rest[8 + len..12 + len].try_into().expect("4 bytes"));
        if crc32(&[&kind, data]) != stored {
            return Err(CardImportError::PngChecksum { chunk: name });
        }
        if chunks.is_empty() && &kind != b"IHDR" {
            return Err(CardImportError::PngDamaged("it does not start with an IHDR chunk".into()));
        }
        chunks.push(Chunk { kind, data, raw: &rest[..12 + len] });
        rest = &rest[12 + len..];
        if &kind == b"IEND" {
            return Ok(chunks);
        }
    }
}

/// The text of a `tEXt` chunk with this keyword (ASCII case ignored), if `chunk` is one.
fn card_text<'a>(chunk: &Chunk<'a>, keyword: &str) -> Option<&'a [u8]> {
    if &chunk.kind != b"tEXt" {
        return None;
    }
    let nul = chunk.data.iter().position(|&b| b == 0)?;
    chunk.data[..nul].eq_ignore_ascii_case(keyword.as_bytes()).then(|| &chunk.data[nul + 1..])
}

fn is_card_chunk(chunk: &Chunk<'_>) -> bool {
    [CHUNK_V2, CHUNK_V3].iter().any(|keyword| card_text(chunk, keyword).is_some())
}

fn write_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    let len = u32::try_from(data.len()).expect("a chunk fits in 2^31 bytes");
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc32(&[kind, data]).to_be_bytes());
}

/// A 64×64 PNG in one colour derived from `name`: 1-bit indexed colour with a one-entry
/// palette, so every row is a filter byte and 8 zero bytes.
fn default_png(name: &str) -> Vec<u8> {
    const SIDE: u32 = 64;
    let hash = crate::text::fnv1a64(name.as_bytes()).to_be_bytes();
    // Mid-tones (0x50..=0xCF per channel): never black or white, always visible on either.
    let colour = [0x50 + hash[0] % 0x80, 0x50 + hash[1] % 0x80, 0x50 + hash[2] % 0x80];
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&SIDE.to_be_bytes());
    ihdr.extend_from_slice(&SIDE.to_be_bytes());
    ihdr.extend_from_slice(&[1, 3, 0, 0, 0]); // bit depth 1, indexed colour, deflate, no filter, no interlace
    let pixels = vec![0u8; (SIDE as usize) * (1 + SIDE as usize / 8)];

    let mut png = PNG_SIGNATURE.to_vec();
    write_chunk(&mut png, b"IHDR", &ihdr);
    write_chunk(&mut png, b"PLTE", &colour);
    write_chunk(&mut png, b"IDAT", &zlib_stored(&pixels));
    write_chunk(&mut png, b"IEND", &[]);
    png
}

/// A zlib stream (RFC 1950) of uncompressed deflate blocks (RFC 1951, `BTYPE = 00`).
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    const BLOCK: usize = 0xffff;
    let mut out = Vec::with_capacity(data.len() + 6 + 5 * (data.len() / BLOCK + 1));
    out.extend_from_slice(&[0x78, 0x01]); // deflate, 32 KiB window, no dictionary; (0x7801 % 31 == 0)
    let mut blocks = data.chunks(BLOCK).peekable();
    if blocks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]); // one empty final block
    }
    while let Some(block) = blocks.next() {
        let len = block.len() as u16;
        out.push(u8::from(blocks.peek().is_none())); // BFINAL, BTYPE = 00
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    out.extend_from_slice(&adler32(data).to_be_bytes());
    out
}

fn adler32(data: &[u8]) -> u32 {
    const MOD: u32 = 65_521;
    let (mut a, mut b) = (1u32, 0u32);
    // 5552 bytes is the most that can be summed before `b` could overflow.
    for block in data.chunks(5552) {
        for &byte in block {
            a += u32::from(byte);
            b += a;
        }
        a %= MOD;
        b %= MOD;
    }
    (b << 16) | a
}

/// CRC-32 (ISO-HDLC, the PNG and zlib one) over the concatenation of `parts`.
fn crc32(parts: &[&[u8]]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut table = [0u32; 256];
        let mut n = 0;
        while n < 256 {
            let mut c = n as u32;
            let mut k = 0;
            while k < 8 {
                c = if c & 1 != 0 { 0xedb8_8320 ^ (c >> 1) } else { c >> 1 };
                k += 1;
            }
            table[n] = c;
            n += 1;
        }
        table
    };
    let mut crc = 0xffff_ffffu32;
    for &byte in parts.iter().flat_map(|part| part.iter()) {
        crc = TABLE[((crc ^ u32::from(byte)) & 0xff) as usize] ^ (crc >> 8);
    }
    crc ^ 0xffff_ffff
}

#[cfg(test)]
mod tests;
