//! `GET /v1/models` and `GET /v1/models/{id}`: the script's model list in OpenAI's shape.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use super::ApiError;
use crate::state::AppState;

/// A fixed `created` timestamp, so that listings are deterministic.
const CREATED: u64 = 1_700_000_000;

fn model_object(id: &str) -> Value {
    json!({"id": id, "object": "model", "created": CREATED, "owned_by": "fake-openai"})
}

/// `{"object": "list", "data": [{"id", "object": "model", "created", "owned_by"}, …]}`.
pub(super) async fn list(State(state): State<Arc<AppState>>) -> Json<Value> {
    let data: Vec<Value> = state.models.iter().map(|id| model_object(id)).collect();
    Json(json!({"object": "list", "data": data}))
}

/// One model object, or 404 `model_not_found` for an id the script does not list.
pub(super) async fn retrieve(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    if state.models.contains(&id) {
        Ok(Json(model_object(&id)))
    } else {
        Err(ApiError::new(StatusCode::NOT_FOUND, format!("The model '{id}' does not exist"))
            .with_code("model_not_found"))
    }
}
