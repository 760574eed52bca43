//! `persona bundle build` and `persona bundle check`: a persona and its articles as one knowledge
//! bundle file (see `persona_core::bundle`), and what a bundle holds.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use persona_core::bundle::{build_bundle, load_bundle, FORMAT, VERSION};
use persona_core::card::import_card;
use persona_core::embed::Embedder;

/// Builds a bundle from a folder of `.md`/`.txt` articles and a card file (JSON or PNG) and
/// writes it to `out`.
pub fn build(content: &Path, persona: &Path, out: &Path, with_index: bool) -> ExitCode {
    let result = (|| -> Result<(), String> {
        if !content.is_dir() {
            return Err(format!("{} is not a folder of .md/.txt articles", content.display()));
        }
        let articles = crate::eval::load_corpus(content)?;
        let card = std::fs::read(persona).map_err(|e| format!("cannot read {}: {e}", persona.display()))?;
        let persona = import_card(&card).map_err(|e| format!("{}: {e}", persona.display()))?;
        let count = articles.len();
        let started = Instant::now();
        let json = build_bundle(&persona, articles, with_index).map_err(|e| e.to_string())?;
        let build_ms = started.elapsed().as_secs_f64() * 1000.0;
        std::fs::write(out, &json).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
        let summary: serde_json::Value = serde_json::from_str(&json).map_err(|e| e.to_string())?;
        println!("persona:  {}", persona.name());
        println!("articles: {count}");
        println!("chunks:   {}", summary["sizes"]["chunks"]);
        match summary["index"]["bytes"].as_u64() {
            Some(bytes) => println!("index:    prebuilt (vector index {bytes} bytes)"),
            None => println!("index:    none (built in the browser at load)"),
        }
        println!("written:  {} ({} bytes)", out.display(), json.len());
        println!("build time: {build_ms:.0} ms");
        Ok(())
    })();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Loads a bundle as the browser would and prints what it holds; exit code 2 when it does not
/// load.
pub fn check(path: &Path) -> ExitCode {
    let text = match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(_) => {
                eprintln!("error: {} is not a text file (a bundle is JSON)", path.display());
                return ExitCode::from(2);
            }
        },
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", path.display());
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    let bundle = match load_bundle(&text) {
        Ok(bundle) => bundle,
        Err(error) => {
            eprintln!("error: {}: {error}", path.display());
            return ExitCode::from(2);
        }
    };
    let load_ms = started.elapsed().as_secs_f64() * 1000.0;
    let knowledge = &bundle.knowledge;
    println!("bundle:   {} ({} bytes), {FORMAT} version {VERSION}", path.display(), text.len());
    println!("embedder: {} ({} dims)", knowledge.embedder().id(), knowledge.embedder().dim());
    println!("persona:  {}", bundle.persona.name());
    println!("articles: {}", knowledge.articles().count());
    for article in knowledge.articles() {
        println!("  {:<24} {:>4} chunks  {}", article.id, knowledge.chunks_of(&article.id).count(), article.title);
    }
    println!("chunks:   {}", knowledge.chunk_count());
    if bundle.prebuilt {
        println!("index:    prebuilt, matches the articles");
    } else {
        println!("index:    none in the bundle (built at load)");
    }
    println!("load time: {load_ms:.0} ms");
    ExitCode::SUCCESS
}
