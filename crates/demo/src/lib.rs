//! The embedded demo: Jane and the demo articles, compiled in from `www/demo/` so the app, the
//! CLI and the tests all start from the same content with no network and no files to find.

use persona_core::knowledge::Article;
use persona_core::persona::Persona;

/// Jane's Character Card V2 JSON.
pub const JANE_CARD: &str = include_str!("../../../www/demo/jane.json");

/// `(id, markdown)` of each demo article, in the order of `www/demo/manifest.json`.
pub const ARTICLES: &[(&str, &str)] = &[
    ("business-plan", include_str!("../../../www/demo/articles/business-plan.md")),
    ("cash-flow", include_str!("../../../www/demo/articles/cash-flow.md")),
    ("pricing", include_str!("../../../www/demo/articles/pricing.md")),
    ("first-hire", include_str!("../../../www/demo/articles/first-hire.md")),
];

/// The demo persona.
pub fn jane() -> Persona {
    Persona::from_card_json(JANE_CARD).expect("the embedded demo card is valid")
}

/// The demo articles.
pub fn articles() -> Vec<Article> {
    ARTICLES.iter().map(|(id, source)| Article::new(*id, *source)).collect()
}
