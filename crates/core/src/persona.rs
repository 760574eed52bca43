//! The persona profile, read from a Character Card V2 JSON (`chara_card_v2`).
//!
//! Our own fields live under `data.extensions.persona_engine`; every other field of the card,
//! known or not, is kept in `extra` maps so an import → export round trip loses nothing.
//! [`crate::card`] reads and writes whole card files (V1/V2/V3, JSON or PNG) on top of this.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use thiserror::Error;

/// The key under `data.extensions` that holds this project's persona fields.
pub const EXTENSION_KEY: &str = "persona_engine";

/// Why a card could not be read.
#[derive(Debug, Error)]
pub enum CardError {
    /// The text is not JSON, or a field has the wrong type.
    #[error("the persona card is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The `spec` field names a format we do not read.
    #[error("unsupported card spec `{0}` (expected `chara_card_v2` or `chara_card_v3`)")]
    UnsupportedSpec(String),
    /// The card has no name.
    #[error("the persona card has an empty `data.name`")]
    MissingName,
}

/// A Character Card (V2 or V3 envelope; V3 adds fields that land in `extra`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CharacterCard {
    pub spec: String,
    pub spec_version: String,
    pub data: CardData,
    /// Every other top-level field, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The `data` object of a card.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CardData {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub personality: String,
    #[serde(default)]
    pub scenario: String,
    #[serde(default)]
    pub first_mes: String,
    #[serde(default)]
    pub mes_example: String,
    #[serde(default)]
    pub extensions: Map<String, Value>,
    /// Every other field, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// This project's persona fields (`data.extensions.persona_engine`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PersonaProfile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age: Option<u32>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub occupation: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub location: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub backstory: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub opinions: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub memories: Vec<String>,
    #[serde(default, skip_serializing_if = "Voice::is_empty")]
    pub voice: Voice,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// How the persona speaks.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Voice {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub style: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quirks: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub avoid: Vec<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Voice {
    fn is_empty(&self) -> bool {
        self == &Voice::default()
    }
}

/// A persona ready for use: the card plus our parsed profile.
#[derive(Clone, Debug, PartialEq)]
pub struct Persona {
    pub card: CharacterCard,
    pub profile: PersonaProfile,
}

impl Persona {
    /// Reads a card from JSON text.
    pub fn from_card_json(json: &str) -> Result<Persona, CardError> {
        let card: CharacterCard = serde_json::from_str(json)?;
        if card.spec != "chara_card_v2" && card.spec != "chara_card_v3" {
            return Err(CardError::UnsupportedSpec(card.spec));
        }
        if card.data.name.trim().is_empty() {
            return Err(CardError::MissingName);
        }
        let profile = match card.data.extensions.get(EXTENSION_KEY) {
            Some(value) => serde_json::from_value(value.clone())?,
            None => PersonaProfile::default(),
        };
        Ok(Persona { card, profile })
    }

    /// Writes the card back out, with the profile stored under its extension key.
    pub fn to_card_json(&self) -> String {
        serde_json::to_string_pretty(&self.card_with_profile()).expect("a card always serialises")
    }

    /// The card with the profile stored under its extension key. When the card's extension
    /// already reads as this profile it is kept exactly as it was (a round trip changes nothing,
    /// not even an empty field the profile would leave out), and a default profile is not added
    /// to a card that had none.
    pub(crate) fn card_with_profile(&self) -> CharacterCard {
        let mut card = self.card.clone();
        let unchanged = match card.data.extensions.get(EXTENSION_KEY) {
            Some(stored) => serde_json::from_value::<PersonaProfile>(stored.clone()).is_ok_and(|p| p == self.profile),
            None => self.profile == PersonaProfile::default(),
        };
        if !unchanged {
            let profile = serde_json::to_value(&self.profile).expect("a profile always serialises");
            card.data.extensions.insert(EXTENSION_KEY.to_string(), profile);
        }
        card
    }

    pub fn name(&self) -> &str {
        &self.card.data.name
    }

    /// The greeting, with `{{char}}`/`{{user}}` placeholders filled in.
    pub fn greeting(&self) -> String {
        self.fill(&self.card.data.first_mes)
    }

    /// Replaces the card placeholders `{{char}}` and `{{user}}`.
    pub fn fill(&self, text: &str) -> String {
        text.replace("{{char}}", self.name()).replace("{{user}}", "you")
    }

    /// Everything the persona knows about herself, as separate statements: the raw material of
    /// personal answers (and, later, of the check that a reply's first-person claims are backed).
    pub fn self_knowledge(&self) -> Vec<String> {
        let mut out = Vec::new();
        let data = &self.card.data;
        out.extend(crate::text::sentences(&self.fill(&data.description)).into_iter().map(str::to_string));
        out.extend(crate::text::sentences(&self.profile.backstory).into_iter().map(str::to_string));
        out.extend(self.profile.memories.iter().cloned());
        out.extend(self.profile.opinions.iter().cloned());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CARD: &str = r#"{
      "spec": "chara_card_v2", "spec_version": "2.0",
      "data": {
        "name": "Jane", "description": "{{char}} runs a café.", "first_mes": "Hi, I'm {{char}}.",
        "personality": "warm", "scenario": "", "mes_example": "",
        "tags": ["demo"], "character_book": {"entries": []},
        "extensions": {
          "persona_engine": {"age": 46, "memories": ["A broken oven nearly closed the café."], "mood": "sunny",
                              "voice": {"style": "warm", "pace": "slow"}},
          "other_tool": {"x": 1}
        }
      }
    }"#;

    #[test]
    fn reads_profile_and_fills_placeholders() {
        let persona = Persona::from_card_json(CARD).unwrap();
        assert_eq!(persona.name(), "Jane");
        assert_eq!(persona.profile.age, Some(46));
        assert_eq!(persona.greeting(), "Hi, I'm Jane.");
        assert!(persona.self_knowledge().contains(&"Jane runs a café.".to_string()));
        assert!(persona.self_knowledge().contains(&"A broken oven nearly closed the café.".to_string()));
    }

    #[test]
    fn unknown_fields_survive_a_round_trip() {
        let persona = Persona::from_card_json(CARD).unwrap();
        let again: Value = serde_json::from_str(&persona.to_card_json()).unwrap();
        let original: Value = serde_json::from_str(CARD).unwrap();
        assert_eq!(again, original);
    }

    #[test]
    fn malformed_cards_get_clear_errors() {
        assert!(matches!(Persona::from_card_json("{"), Err(CardError::Json(_))));
        let wrong_spec = CARD.replace("chara_card_v2", "tavern_v1");
        assert_eq!(
            Persona::from_card_json(&wrong_spec).unwrap_err().to_string(),
            "unsupported card spec `tavern_v1` (expected `chara_card_v2` or `chara_card_v3`)"
        );
        let no_name = CARD.replace("\"name\": \"Jane\"", "\"name\": \" \"");
        assert!(matches!(Persona::from_card_json(&no_name), Err(CardError::MissingName)));
    }
}
