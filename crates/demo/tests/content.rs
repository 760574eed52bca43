//! The demo content is a test fixture for grounding (DESIGN.md's five bugs): these properties
//! are what later tests rely on, so they are checked here.

use persona_core::facts::atomic_statements;

fn percentages(text: &str) -> Vec<String> {
    persona_core::text::words(text).into_iter().filter(|w| w.ends_with('%')).collect()
}

#[test]
fn jane_is_a_46_year_old_small_business_owner() {
    let jane = persona_demo::jane();
    assert_eq!(jane.name(), "Jane");
    assert_eq!(jane.profile.age, Some(46));
    assert!(!jane.greeting().is_empty());
    assert!(jane.profile.memories.len() >= 5);
}

#[test]
fn jane_never_claims_a_formal_plan_or_formal_market_research() {
    // The grounding tests check that an answer does not invent such experience.
    let jane = persona_demo::jane();
    for statement in jane.self_knowledge() {
        let lower = statement.to_lowercase();
        assert!(!lower.contains("business plan"), "{statement}");
        assert!(!lower.contains("market research"), "{statement}");
    }
}

#[test]
fn business_plan_article_has_five_recommendations_and_two_distinct_percentages() {
    let (_, source) = persona_demo::ARTICLES.iter().find(|(id, _)| *id == "business-plan").unwrap();
    let numbered: Vec<String> = atomic_statements(source)
        .into_iter()
        .filter(|s| s.chars().next().is_some_and(|c| c.is_ascii_digit()) && s.get(1..3) == Some(". "))
        .collect();
    assert_eq!(numbered.len(), 5, "{numbered:#?}");
    assert!(numbered[0].starts_with("1. Conduct market research"));
    let found = percentages(source);
    assert_eq!(found, ["16%", "30%"]);
    let with_plan: Vec<String> = atomic_statements(source)
        .into_iter()
        .filter(|s| s.contains('%') && s.contains("formal written plan"))
        .collect();
    assert_eq!(with_plan.len(), 2, "each percentage is about businesses with a formal plan, in its own sentence");
}

#[test]
fn every_article_in_the_manifest_is_embedded() {
    let manifest: serde_json::Value = serde_json::from_str(include_str!("../../../www/demo/manifest.json")).unwrap();
    let ids: Vec<&str> = manifest["articles"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap()).collect();
    let embedded: Vec<&str> = persona_demo::ARTICLES.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids, embedded);
    for article in persona_demo::articles() {
        assert!(!article.title.is_empty() && article.title != "Untitled");
    }
}
