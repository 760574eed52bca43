//! The synthetic corpus the browser benchmarks share: articles of `PARAGRAPHS` paragraphs of
//! 90 business words each, drawn by a seeded generator (the same text on every run).
#![allow(dead_code)]

use persona_core::knowledge::Article;

/// Paragraphs (chunks) per article.
pub const PARAGRAPHS: usize = 20;

pub const WORDS: &[&str] = &[
    "cash",
    "flow",
    "forecast",
    "invoice",
    "customer",
    "supplier",
    "price",
    "margin",
    "cost",
    "staff",
    "hire",
    "payroll",
    "tax",
    "plan",
    "market",
    "research",
    "stock",
    "order",
    "delivery",
    "rent",
    "lease",
    "loan",
    "bank",
    "reserve",
    "season",
    "demand",
    "promotion",
    "discount",
    "review",
    "contract",
    "insurance",
    "website",
    "shop",
    "café",
    "bakery",
    "workshop",
    "studio",
    "client",
    "quote",
    "deposit",
    "overhead",
    "profit",
    "revenue",
    "week",
    "month",
    "quarter",
    "owner",
    "team",
    "training",
    "schedule",
    "equipment",
    "software",
    "accountant",
    "budget",
];

/// SplitMix64, as in the CLI benchmark: the same text on every run.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

pub fn article(rng: &mut Rng, n: usize) -> Article {
    let mut source = format!("# Article {n}\n\n");
    for p in 0..PARAGRAPHS {
        if p % 5 == 0 {
            source.push_str(&format!("## Section {}\n\n", p / 5));
        }
        source.push_str(&format!("Paragraph {p} of article {n}:"));
        for _ in 0..90 {
            source.push(' ');
            source.push_str(WORDS[(rng.next() % WORDS.len() as u64) as usize]);
        }
        source.push_str(".\n\n");
    }
    Article::new(format!("article-{n}"), source)
}

/// Milliseconds on the page's clock.
pub fn now() -> f64 {
    js_sys::Date::now()
}
