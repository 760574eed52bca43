use std::path::PathBuf;

use serde_json::{json, Value};

use super::*;

/// A V2 card with every field V2 requires, an unknown top-level field, unknown `data` fields, a
/// foreign extension and our own (with a field our profile does not know, and an empty one it
/// would leave out): exported as V2 it must come back as exactly this JSON value.
const FULL_V2: &str = r#"{
  "spec": "chara_card_v2", "spec_version": "2.0",
  "create_date": "2024-05-01T09:30:00Z",
  "data": {
    "name": "Ines", "description": "{{char}} repairs clocks.", "personality": "patient",
    "scenario": "A workshop.", "first_mes": "Hello, I'm {{char}}.", "mes_example": "",
    "creator_notes": "Test card.", "system_prompt": "", "post_history_instructions": "",
    "alternate_greetings": ["Back again?"], "tags": ["crafts", "test"], "creator": "qa",
    "character_version": "1.2", "character_book": {"entries": [], "scan_depth": 3},
    "x_rating": 4.5,
    "extensions": {
      "talkativeness": "0.5", "fav": false,
      "depth_prompt": {"prompt": "Ines hums while she works.", "depth": 4, "role": "system"},
      "persona_engine": {"age": 61, "occupation": "", "memories": ["Her first clock was her father's."],
                         "mood": "calm"}
    }
  }
}"#;

/// A V3 card with `assets`, V3-only fields and unknown fields.
const V3: &str = r#"{
  "spec": "chara_card_v3", "spec_version": "3.0",
  "x_exporter": {"app": "other", "build": 17},
  "data": {
    "name": "Oskar", "nickname": "Ossi", "description": "{{char}} keeps bees.",
    "personality": "", "scenario": "", "first_mes": "Mind the hives.", "mes_example": "",
    "creator_notes": "", "system_prompt": "", "post_history_instructions": "",
    "alternate_greetings": [], "group_only_greetings": ["Hello, all of you."], "tags": ["bees"],
    "creator": "qa", "character_version": "", "source": ["https://example.org/oskar"],
    "creation_date": 1714550000,
    "assets": [{"type": "icon", "uri": "ccdefault:", "name": "main", "ext": "png"},
               {"type": "background", "uri": "https://example.org/meadow.webp", "name": "meadow", "ext": "webp"}],
    "x_unknown_v3": [1, 2, {"deep": null}],
    "extensions": {"risuai": {"utilityBot": false}, "persona_engine": {"age": 70, "location": "Skåne"}}
  }
}"#;

fn value(json: &str) -> Value {
    serde_json::from_str(json).unwrap()
}

fn b64(json: &str) -> String {
    STANDARD.encode(json)
}

/// A tEXt chunk's data: keyword, NUL, text.
fn text(keyword: &str, text: &str) -> Vec<u8> {
    [keyword.as_bytes(), &[0], text.as_bytes()].concat()
}

/// A PNG made of the given chunks (CRCs computed), after the signature.
fn png(chunks: &[(&[u8; 4], Vec<u8>)]) -> Vec<u8> {
    let mut out = PNG_SIGNATURE.to_vec();
    for (kind, data) in chunks {
        write_chunk(&mut out, kind, data);
    }
    out
}

/// A small image of our own making (not from `default_png`): 1×1 greyscale.
fn image_chunks() -> Vec<(&'static [u8; 4], Vec<u8>)> {
    let ihdr = [&1u32.to_be_bytes()[..], &1u32.to_be_bytes(), &[8, 0, 0, 0, 0]].concat();
    vec![(b"IHDR", ihdr), (b"IDAT", zlib_stored(&[0, 0x80]))]
}

fn card_png(extra: Vec<(&'static [u8; 4], Vec<u8>)>) -> Vec<u8> {
    let mut chunks = image_chunks();
    chunks.extend(extra);
    chunks.push((b"IEND", Vec::new()));
    png(&chunks)
}

/// Every chunk of a PNG as (type, data), walked independently of `read_chunks`, with each
/// CRC checked.
fn walk(png: &[u8]) -> Vec<(String, Vec<u8>)> {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let (mut at, mut out) = (8, Vec::new());
    while at < png.len() {
        let len = u32::from_be_bytes(png[at..at + 4].try_into().unwrap()) as usize;
        let body = &png[at + 4..at + 8 + len];
        let crc = u32::from_be_bytes(png[at + 8 + len..at + 12 + len].try_into().unwrap());
        assert_eq!(crc32(&[body]), crc, "CRC of chunk {}", String::from_utf8_lossy(&body[..4]));
        out.push((String::from_utf8_lossy(&body[..4]).into_owned(), body[4..].to_vec()));
        at += 12 + len;
    }
    assert_eq!(at, png.len(), "no bytes after the last chunk");
    out
}

/// The decoded card JSON of every `tEXt` card chunk, by keyword.
fn card_chunks(png: &[u8]) -> Vec<(String, Value)> {
    walk(png)
        .into_iter()
        .filter(|(kind, _)| kind == "tEXt")
        .filter_map(|(_, data)| {
            let nul = data.iter().position(|&b| b == 0).unwrap();
            let keyword = String::from_utf8(data[..nul].to_vec()).unwrap();
            let json = STANDARD.decode(&data[nul + 1..]).ok()?;
            Some((keyword, serde_json::from_slice(&json).ok()?))
        })
        .collect()
}

fn err(bytes: impl AsRef<[u8]>) -> CardImportError {
    import_card(bytes.as_ref()).unwrap_err()
}

// --- import ------------------------------------------------------------------------------------

#[test]
fn imports_a_v2_json_and_fills_the_fields_v2_requires() {
    let persona = import_card(FULL_V2.as_bytes()).unwrap();
    assert_eq!(persona.name(), "Ines");
    assert_eq!(CardFormat::of(&persona.card), CardFormat::V2);
    assert_eq!(persona.profile.age, Some(61));
    assert_eq!(persona.profile.extra["mood"], "calm");
    assert_eq!(persona.card.extra["create_date"], "2024-05-01T09:30:00Z");
    assert_eq!(persona.card.data.extra["x_rating"], 4.5);
    assert_eq!(persona.card.data.extensions["depth_prompt"]["depth"], 4);

    let sparse = r#"{"spec": "chara_card_v2", "spec_version": "2.0", "data": {"name": "Ines", "tags": null}}"#;
    let persona = import_card(sparse.as_bytes()).unwrap();
    for field in ["creator_notes", "system_prompt", "post_history_instructions", "creator", "character_version"] {
        assert_eq!(persona.card.data.extra[field], "", "{field}");
    }
    assert_eq!(persona.card.data.extra["tags"], json!([]));
    assert_eq!(persona.card.data.extra["alternate_greetings"], json!([]));
    assert!(!persona.card.data.extra.contains_key("character_book"), "optional fields stay absent");
    assert!(!persona.card.data.extra.contains_key("group_only_greetings"), "V3 fields are not added to V2");
}

#[test]
fn imports_a_v3_json_with_assets_and_unknown_fields() {
    let persona = import_card(V3.as_bytes()).unwrap();
    assert_eq!(CardFormat::of(&persona.card), CardFormat::V3);
    assert_eq!(persona.name(), "Oskar");
    assert_eq!(persona.profile.location, "Skåne");
    let original = value(V3);
    assert_eq!(persona.card.data.extra["assets"], original["data"]["assets"]);
    assert_eq!(persona.card.data.extra["x_unknown_v3"], original["data"]["x_unknown_v3"]);
    assert_eq!(persona.card.data.extra["group_only_greetings"], json!(["Hello, all of you."]));
    assert_eq!(persona.card.extra["x_exporter"], original["x_exporter"]);

    // A V3 card without `assets` gets the list V3 says an absent one means.
    let bare = r#"{"spec": "chara_card_v3", "spec_version": "3.0", "data": {"name": "Oskar"}}"#;
    let persona = import_card(bare.as_bytes()).unwrap();
    assert_eq!(
        persona.card.data.extra["assets"],
        json!([{"type": "icon", "uri": "ccdefault:", "name": "main", "ext": "png"}])
    );
    assert_eq!(persona.card.data.extra["group_only_greetings"], json!([]));
}

#[test]
fn imports_a_v1_card_as_v2() {
    let v1 = r#"{"name": "Old Tom", "description": "{{char}} tends the lighthouse.", "personality": "gruff",
                 "scenario": "A storm.", "first_mes": "Shut the door!", "mes_example": "<START>",
                 "talkativeness": "0.4", "avatar": "none"}"#;
    let persona = import_card(v1.as_bytes()).unwrap();
    assert_eq!(persona.card.spec, "chara_card_v2");
    assert_eq!(persona.card.spec_version, "2.0");
    assert_eq!(persona.name(), "Old Tom");
    assert_eq!(persona.card.data.description, "{{char}} tends the lighthouse.");
    assert_eq!(persona.card.data.mes_example, "<START>");
    assert_eq!(persona.greeting(), "Shut the door!");
    // Other top-level fields stay where they were; the V1 fields moved into `data`.
    assert_eq!(persona.card.extra["talkativeness"], "0.4");
    assert!(!persona.card.extra.contains_key("name"));
    assert_eq!(persona.card.data.extra["tags"], json!([]));

    assert_eq!(err(r#"{"name": "", "description": "x"}"#).to_string(), "`name` is empty: a card needs a name");
    assert_eq!(err(r#"{"name": "A", "first_mes": 3}"#).to_string(), "field `first_mes` must be a string");
}

#[test]
fn tolerates_a_byte_order_mark() {
    let with_bom = [b"\xEF\xBB\xBF".as_slice(), FULL_V2.as_bytes()].concat();
    assert_eq!(import_card(&with_bom).unwrap(), import_card(FULL_V2.as_bytes()).unwrap());
    // Inside a PNG chunk too.
    let png = card_png(vec![(b"tEXt", text("chara", &STANDARD.encode(&with_bom)))]);
    assert_eq!(import_card(&png).unwrap().name(), "Ines");
}

#[test]
fn imports_a_png_with_a_chara_chunk() {
    let png = card_png(vec![(b"tEXt", text("Comment", "made by hand")), (b"tEXt", text("chara", &b64(FULL_V2)))]);
    assert_eq!(import_card(&png).unwrap(), import_card(FULL_V2.as_bytes()).unwrap());
    // Unpadded base64 and an upper-case keyword, as some writers produce, read too.
    let json = format!("{FULL_V2}{}", " ".repeat(1 + FULL_V2.len() % 3)); // length not a multiple of 3
    let unpadded = b64(&json).trim_end_matches('=').to_string();
    assert_ne!(unpadded.len() % 4, 0, "the test needs padding to drop");
    let png = card_png(vec![(b"tEXt", text("Chara", &unpadded))]);
    assert_eq!(import_card(&png).unwrap().name(), "Ines");
}

#[test]
fn a_png_with_both_chunks_is_read_from_ccv3() {
    // `chara` comes first in the file; `ccv3` must still win.
    let png = card_png(vec![(b"tEXt", text("chara", &b64(FULL_V2))), (b"tEXt", text("ccv3", &b64(V3)))]);
    let persona = import_card(&png).unwrap();
    assert_eq!(persona.name(), "Oskar");
    assert_eq!(CardFormat::of(&persona.card), CardFormat::V3);
}

// --- export ------------------------------------------------------------------------------------

#[test]
fn json_export_keeps_every_field_and_round_trips() {
    let persona = import_card(FULL_V2.as_bytes()).unwrap();
    let exported = export_card_json(&persona, CardFormat::V2);
    assert_eq!(value(&exported), value(FULL_V2), "unknown fields survive exactly");
    assert_eq!(import_card(exported.as_bytes()).unwrap(), persona);

    let persona = import_card(V3.as_bytes()).unwrap();
    let exported = export_card_json(&persona, CardFormat::V3);
    assert_eq!(value(&exported), value(V3));
    assert_eq!(import_card(exported.as_bytes()).unwrap(), persona);
    assert!(exported.trim_start().starts_with("{\n  \"spec\": \"chara_card_v3\""), "spec first: {exported}");
}

#[test]
fn export_writes_the_required_fields_of_each_version() {
    let sparse = r#"{"spec": "chara_card_v2", "spec_version": "2.0", "data": {"name": "Ines"}}"#;
    let persona = Persona::from_card_json(sparse).unwrap(); // not normalised: export must fill in
    let v2 = value(&export_card_json(&persona, CardFormat::V2));
    assert_eq!(v2["spec"], "chara_card_v2");
    assert_eq!(v2["spec_version"], "2.0");
    for field in ["description", "personality", "scenario", "first_mes", "mes_example", "creator_notes"] {
        assert_eq!(v2["data"][field], "", "{field}");
    }
    for field in ["system_prompt", "post_history_instructions", "creator", "character_version"] {
        assert_eq!(v2["data"][field], "", "{field}");
    }
    assert_eq!(v2["data"]["alternate_greetings"], json!([]));
    assert_eq!(v2["data"]["tags"], json!([]));
    assert_eq!(v2["data"]["extensions"], json!({}), "no empty profile is added");
    assert!(v2["data"].get("character_book").is_none());
    assert!(v2["data"].get("assets").is_none());

    let v3 = value(&export_card_json(&persona, CardFormat::V3));
    assert_eq!(v3["spec"], "chara_card_v3");
    assert_eq!(v3["spec_version"], "3.0");
    assert_eq!(v3["data"]["group_only_greetings"], json!([]));
    assert_eq!(v3["data"]["assets"], json!([{"type": "icon", "uri": "ccdefault:", "name": "main", "ext": "png"}]));
    for optional in ["nickname", "creator_notes_multilingual", "source", "creation_date"] {
        assert!(v3["data"].get(optional).is_none(), "{optional}");
    }

    // Existing assets are never replaced by the default.
    let oskar = import_card(V3.as_bytes()).unwrap();
    let v3 = value(&export_card_json(&oskar, CardFormat::V3));
    assert_eq!(v3["data"]["assets"].as_array().unwrap().len(), 2);
}

#[test]
fn a_changed_profile_is_written_into_the_extension() {
    let mut persona = import_card(FULL_V2.as_bytes()).unwrap();
    persona.profile.occupation = "clockmaker".into();
    let exported = value(&export_card_json(&persona, CardFormat::V2));
    let ours = &exported["data"]["extensions"]["persona_engine"];
    assert_eq!(ours["occupation"], "clockmaker");
    assert_eq!(ours["mood"], "calm", "unknown profile fields survive a change");
    assert_eq!(exported["data"]["extensions"]["depth_prompt"], value(FULL_V2)["data"]["extensions"]["depth_prompt"]);
    assert_eq!(import_card(exported.to_string().as_bytes()).unwrap().profile, persona.profile);
}

#[test]
fn v2_exported_as_v3_keeps_its_content() {
    let v2 = import_card(FULL_V2.as_bytes()).unwrap();
    let v3 = import_card(export_card_json(&v2, CardFormat::V3).as_bytes()).unwrap();
    assert_eq!(CardFormat::of(&v3.card), CardFormat::V3);
    assert_eq!(v3.name(), v2.name());
    assert_eq!(v3.card.data.description, v2.card.data.description);
    assert_eq!(v3.card.data.extensions, v2.card.data.extensions);
    assert_eq!(v3.card.extra, v2.card.extra);
    assert_eq!(v3.profile, v2.profile);
}

#[test]
fn png_export_round_trips_v2_and_v3() {
    for (json, format) in [(FULL_V2, CardFormat::V2), (V3, CardFormat::V3), (FULL_V2, CardFormat::V3)] {
        let persona = import_card(json.as_bytes()).unwrap();
        let png = export_card_png(&persona, format, None).unwrap();
        let again = import_card(&png).unwrap();
        assert_eq!(CardFormat::of(&again.card), format);
        if CardFormat::of(&persona.card) == format {
            assert_eq!(again, persona, "{format:?}");
        }
        let chunks = card_chunks(&png);
        let keywords: Vec<&str> = chunks.iter().map(|(keyword, _)| keyword.as_str()).collect();
        let card = &chunks[0].1;
        assert_eq!(card["data"]["extensions"], value(json)["data"]["extensions"], "{format:?}");
        match format {
            CardFormat::V2 => {
                assert_eq!(keywords, ["chara"]);
                assert_eq!(card, &value(json), "unknown fields survive exactly");
            }
            CardFormat::V3 => {
                assert_eq!(keywords, ["ccv3", "chara"]);
                let backfill = &chunks[1].1;
                assert_eq!(backfill["spec"], "chara_card_v2");
                assert_eq!(backfill["spec_version"], "2.0");
                assert_eq!(backfill["data"]["name"], persona.name());
                assert_eq!(backfill["data"]["extensions"], value(json)["data"]["extensions"]);
                assert!(backfill["data"]["creator_notes"].as_str().unwrap().starts_with(BACKFILL_NOTE));
                assert!(!card["data"]["creator_notes"].as_str().unwrap().contains(BACKFILL_NOTE));
            }
        }
    }
    // The backfill alone (an app that dropped `ccv3`) still reads.
    let persona = import_card(V3.as_bytes()).unwrap();
    let png = export_card_png(&persona, CardFormat::V3, None).unwrap();
    let backfill = card_chunks(&png).remove(1).1;
    let only_chara = card_png(vec![(b"tEXt", text("chara", &b64(&backfill.to_string())))]);
    assert_eq!(import_card(&only_chara).unwrap().card.data.extensions, persona.card.data.extensions);
}

#[test]
fn export_into_a_given_png_keeps_its_chunks_and_replaces_the_old_card() {
    let old = r#"{"spec": "chara_card_v2", "spec_version": "2.0", "data": {"name": "Old"}}"#;
    let image = card_png(vec![
        (b"tEXt", text("chara", &b64(old))),
        (b"tEXt", text("Comment", "avatar by Ines")),
        (b"tEXt", text("ccv3", &b64(old))),
        (b"teST", vec![1, 2, 3]),
    ]);
    let persona = import_card(V3.as_bytes()).unwrap();
    let out = export_card_png(&persona, CardFormat::V3, Some(&image)).unwrap();

    let before = walk(&image);
    let after = walk(&out);
    let kinds: Vec<&str> = after.iter().map(|(kind, _)| kind.as_str()).collect();
    assert_eq!(kinds, ["IHDR", "IDAT", "tEXt", "teST", "tEXt", "tEXt", "IEND"]);
    assert_eq!(after[0], before[0], "IHDR unchanged");
    assert_eq!(after[1], before[1], "IDAT unchanged");
    assert_eq!(after[2].1, text("Comment", "avatar by Ines"));
    assert_eq!(after[3], before[5], "unknown chunk unchanged");
    // The raw bytes of the kept chunks are copied, not rewritten.
    let head = 8 + 25 + (12 + before[1].1.len());
    assert_eq!(out[..head], image[..head]);

    let cards = card_chunks(&out);
    assert_eq!(cards.len(), 2, "the old card chunks are gone");
    assert!(cards.iter().all(|(_, card)| card["data"]["name"] == "Oskar"));
    assert_eq!(import_card(&out).unwrap(), persona);

    // Exporting again into the result replaces, never accumulates.
    let twice = export_card_png(&persona, CardFormat::V2, Some(&out)).unwrap();
    assert_eq!(card_chunks(&twice).len(), 1);
}

#[test]
fn export_refuses_an_image_that_is_not_a_sound_png() {
    let persona = import_card(FULL_V2.as_bytes()).unwrap();
    assert_eq!(export_card_png(&persona, CardFormat::V2, Some(b"GIF89a...")), Err(CardImportError::NotPng));
    let mut bad = card_png(Vec::new());
    bad[8 + 25 + 8] ^= 1; // first byte of IDAT's data
    assert_eq!(
        export_card_png(&persona, CardFormat::V2, Some(&bad)),
        Err(CardImportError::PngChecksum { chunk: "IDAT".into() })
    );
}

#[test]
fn the_generated_image_is_a_valid_png() {
    // The CRC and Adler-32 are checked against published values, so `walk` can trust `crc32`.
    assert_eq!(crc32(&[b"123456789"]), 0xcbf4_3926);
    assert_eq!(crc32(&[b"IEND"]), 0xae42_6082);
    assert_eq!(adler32(b"Wikipedia"), 0x11e6_0398);

    let png = default_png("Ines");
    let chunks = walk(&png);
    let kinds: Vec<&str> = chunks.iter().map(|(kind, _)| kind.as_str()).collect();
    assert_eq!(kinds, ["IHDR", "PLTE", "IDAT", "IEND"]);
    let ihdr = &chunks[0].1;
    assert_eq!(ihdr.len(), 13);
    assert_eq!(u32::from_be_bytes(ihdr[0..4].try_into().unwrap()), 64);
    assert_eq!(u32::from_be_bytes(ihdr[4..8].try_into().unwrap()), 64);
    assert_eq!(&ihdr[8..], &[1, 3, 0, 0, 0]);
    assert_eq!(chunks[1].1.len(), 3, "one palette entry");
    let pixels = miniz_oxide::inflate::decompress_to_vec_zlib(&chunks[2].1).expect("a valid zlib stream");
    assert_eq!(pixels, vec![0u8; 64 * 9], "64 rows of filter 0 and 64 one-bit pixels");
    assert!(chunks[3].1.is_empty());

    assert_ne!(default_png("Ines"), default_png("Oskar"), "the colour follows the name");
    assert_eq!(default_png("Ines"), png, "and is deterministic");
    // Multi-block and empty streams decode too.
    for data in [Vec::new(), (0..200_000u32).map(|i| (i % 251) as u8).collect()] {
        assert_eq!(miniz_oxide::inflate::decompress_to_vec_zlib(&zlib_stored(&data)).unwrap(), data);
    }
}

// --- malformed input ---------------------------------------------------------------------------

#[test]
fn files_that_are_no_card_say_so() {
    assert_eq!(err(b""), CardImportError::Empty);
    assert_eq!(err(b"GIF89a\x01\x00").to_string(), "the file is neither a PNG nor JSON");
    assert_eq!(err(b"name: Ines").to_string(), "the file is neither a PNG nor JSON");
    assert_eq!(err(b"{\xff\xfe}"), CardImportError::NotPngOrJson);
    assert_eq!(err(b"[1, 2]").to_string(), "this JSON is not a character card: a card is a JSON object (`{ … }`)");
    assert_eq!(
        err(br#"{"title": "Pricing"}"#).to_string(),
        "this JSON is not a character card: it has neither a `spec` nor a `name`"
    );
    assert_eq!(err(br#"{"data": {"name": "Ines"}}"#).to_string(), "field `spec` is missing");
    assert_eq!(err(br#"{"spec": "chara_card_v2"}"#).to_string(), "field `data` is missing");
}

#[test]
fn png_problems_get_specific_errors() {
    let good = card_png(vec![(b"tEXt", text("chara", &b64(FULL_V2)))]);
    assert!(import_card(&good).is_ok());

    let no_card = card_png(vec![(b"tEXt", text("Comment", "just a picture"))]);
    assert_eq!(err(no_card).to_string(), "this PNG has no character card in it (no `chara` or `ccv3` text chunk)");

    let mut bad_crc = good.clone();
    bad_crc[8 + 25 + 8] ^= 0x40; // first byte of IDAT's data
    assert_eq!(err(&bad_crc).to_string(), "the PNG is damaged: chunk `IDAT` fails its checksum");

    let bad_base64 = card_png(vec![(b"tEXt", text("chara", "eyJzcGVj!!not base64"))]);
    assert_eq!(err(bad_base64).to_string(), "the card's `chara` chunk is not valid base64");
    let latin1 = card_png(vec![(b"tEXt", text("ccv3", &STANDARD.encode(b"{\"name\": \"Jos\xe9\"}")))]);
    assert_eq!(err(latin1).to_string(), "the card's `ccv3` chunk does not hold UTF-8 text");
    // A broken `ccv3` is reported, not silently replaced by the `chara` backfill.
    let broken_v3 = card_png(vec![(b"tEXt", text("ccv3", "%%%")), (b"tEXt", text("chara", &b64(FULL_V2)))]);
    assert_eq!(err(broken_v3), CardImportError::Base64 { chunk: "ccv3".into() });

    let bad_json = card_png(vec![(b"tEXt", text("chara", &b64("{\"spec\": \"chara_card_v2\",")))]);
    assert!(matches!(err(bad_json), CardImportError::InvalidJson { line: 1, .. }));

    assert_eq!(err(&good[..good.len() - 12]).to_string(), "the PNG is cut short: it ends before its IEND chunk");
    assert_eq!(err(&good[..50]).to_string(), "the PNG is cut short: it ends inside chunk `IDAT`");
    assert_eq!(err(&good[..10]).to_string(), "the PNG is cut short: it ends inside a chunk header");
    assert_eq!(err(&good[..8]), CardImportError::PngTruncated("it ends before its IEND chunk".into()));

    let mut huge = good.clone();
    huge[8 + 25..8 + 29].copy_from_slice(&u32::MAX.to_be_bytes());
    assert_eq!(err(&huge).to_string(), "the PNG is damaged: chunk `IDAT` claims an impossible length");
    let idat_first = png(&[(b"IDAT", zlib_stored(&[0])), (b"IEND", Vec::new())]);
    assert_eq!(err(idat_first).to_string(), "the PNG is damaged: it does not start with an IHDR chunk");
}

#[test]
fn card_json_problems_get_specific_errors() {
    let syntax = "{\n  \"spec\": \"chara_card_v2\",\n  \"data\": {\"name\": \"Ines\" \"x\": 1}\n}";
    assert_eq!(err(syntax).to_string(), "the card JSON is invalid at line 3, column 27: expected `,` or `}`");
    assert_eq!(
        err("{\"spec\": \"chara_card_v2\", \"data\": {").to_string(),
        "the card JSON is invalid at line 1, column 35: the text ends in the middle of an object"
    );

    let card = value(FULL_V2);
    let with = |path: &[&str], new: Value| {
        let mut card = card.clone();
        let (last, parents) = path.split_last().unwrap();
        let mut at = &mut card;
        for key in parents {
            at = &mut at[*key];
        }
        at[*last] = new;
        err(card.to_string()).to_string()
    };
    assert_eq!(with(&["data", "name"], json!("  ")), "`data.name` is empty: a card needs a name");
    assert_eq!(
        with(&["spec"], json!("foo")),
        "unsupported card spec `foo` (expected `chara_card_v2` or `chara_card_v3`)"
    );
    assert_eq!(with(&["data", "tags"], json!(["a", 1])), "field `data.tags` must be a list of strings");
    assert_eq!(with(&["data", "tags"], json!("a, b")), "field `data.tags` must be a list of strings");
    assert_eq!(with(&["data", "creator"], json!(7)), "field `data.creator` must be a string");
    assert_eq!(with(&["data", "description"], json!(["x"])), "field `data.description` must be a string");
    assert_eq!(with(&["data", "extensions"], json!([])), "field `data.extensions` must be an object");
    assert_eq!(with(&["data"], json!("Ines")), "field `data` must be an object");
    assert_eq!(with(&["spec_version"], json!(2)), "field `spec_version` must be a string such as \"2.0\"");
    assert_eq!(
        with(&["data", "extensions", "persona_engine", "age"], json!("sixty")),
        "field `data.extensions.persona_engine.age` is invalid: invalid type: string \"sixty\", expected u32"
    );
    assert_eq!(
        with(&["data", "extensions", "persona_engine", "voice"], json!({"quirks": [1]})),
        "field `data.extensions.persona_engine.voice.quirks[0]` is invalid: invalid type: integer `1`, expected a string"
    );

    // V3's own fields are checked on V3 cards.
    let v3 = value(V3);
    let mut bad = v3.clone();
    bad["data"]["assets"][1]["uri"] = json!(null);
    assert_eq!(err(bad.to_string()).to_string(), "field `data.assets[1].uri` must be a string");
    let mut bad = v3.clone();
    bad["data"]["assets"][0].as_object_mut().unwrap().remove("type");
    assert_eq!(err(bad.to_string()).to_string(), "field `data.assets[0].type` is missing");
    let mut bad = v3.clone();
    bad["data"]["group_only_greetings"] = json!({});
    assert_eq!(err(bad.to_string()).to_string(), "field `data.group_only_greetings` must be a list of strings");
    // …and are unknown, unchecked fields on V2 cards.
    let mut v2 = v3;
    v2["spec"] = json!("chara_card_v2");
    v2["data"]["group_only_greetings"] = json!({});
    assert!(import_card(v2.to_string().as_bytes()).is_ok());
}

// --- fixtures for the end-to-end tests ---------------------------------------------------------

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/e2e/fixtures/cards")
}

/// Tomás, the V3 PNG fixture: `tests/e2e/fixtures/cards/tomas-v3.png` is exactly what this
/// exports. After a deliberate change to the export, regenerate it with
/// `PERSONA_WRITE_FIXTURES=1 cargo test -p persona-core --lib card`.
const TOMAS: &str = r#"{
  "spec": "chara_card_v3", "spec_version": "3.0",
  "data": {
    "name": "Tomás Ferreira",
    "description": "{{char}} spent thirty years below deck as a ship's engineer on cargo ships between Lisbon and Rotterdam. Since he retired he builds chairs and small boats in a workshop behind his house in Setúbal.",
    "personality": "unhurried, exact, dry humour, proud of honest joinery",
    "scenario": "{{user}} stops by the workshop with a question.",
    "first_mes": "Careful, the glue is still wet. What can I do for you?",
    "mes_example": "<START>\n{{user}}: Is oak better than pine?\n{{char}}: For a chair that has to outlive you, yes. For a shelf you will repaint every year, pine is fine.",
    "creator_notes": "Fixture for the end-to-end tests.",
    "tags": ["woodworking", "engineering", "fixture"],
    "creator": "persona-engine tests",
    "character_version": "1.0",
    "extensions": {
      "persona_engine": {
        "age": 52,
        "occupation": "retired ship's engineer, woodworker",
        "location": "Setúbal, Portugal",
        "backstory": "He went to sea at nineteen. The engine room taught him to listen for trouble before it arrives.",
        "opinions": ["A joint you cannot take apart again was not made well."],
        "memories": ["He kept a diesel engine running for three days in a storm off Biscay."],
        "voice": {"style": "short sentences, practical", "quirks": ["explains things with engine metaphors"]}
      },
      "depth_prompt": {"prompt": "Tomás smells of sawdust and linseed oil.", "depth": 4, "role": "system"}
    }
  }
}"#;

#[test]
fn e2e_fixtures_are_current_and_import() {
    let tomas = import_card(TOMAS.as_bytes()).unwrap();
    let png = export_card_png(&tomas, CardFormat::V3, None).unwrap();
    let path = fixtures().join("tomas-v3.png");
    if std::env::var_os("PERSONA_WRITE_FIXTURES").is_some() {
        std::fs::write(&path, &png).unwrap();
    }
    let committed = std::fs::read(&path).unwrap();
    assert!(committed == png, "tests/e2e/fixtures/cards/tomas-v3.png is stale; see `TOMAS`");
    let imported = import_card(&committed).unwrap();
    assert_eq!(imported, tomas);
    assert_eq!(imported.profile.age, Some(52));

    let mara = import_card(&std::fs::read(fixtures().join("mara-v2.json")).unwrap()).unwrap();
    assert_eq!(mara.name(), "Mara Lindqvist");
    assert_eq!(CardFormat::of(&mara.card), CardFormat::V2);
    assert_eq!(mara.profile.age, Some(38));
    assert!(mara.card.data.extensions.contains_key("depth_prompt"));
    assert!(!mara.card.extra.is_empty(), "the fixture has an unknown top-level field");

    let broken = import_card(&std::fs::read(fixtures().join("broken.json")).unwrap());
    assert!(matches!(broken, Err(CardImportError::InvalidJson { .. })), "{broken:?}");
}
