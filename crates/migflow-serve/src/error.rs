//! Every error of the API as JSON: `{"error": "…", "key": "…" | null}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// An error answer: its status, message and the key it is about.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The message, in the validation's words where it is about a value.
    pub error: String,
    /// The dotted path or field it is about, if any.
    pub key: Option<String>,
}

impl ApiError {
    /// An error with a status.
    pub fn new(status: StatusCode, error: impl Into<String>) -> ApiError {
        ApiError {
            status,
            error: error.into(),
            key: None,
        }
    }

    /// 400, about `key`.
    pub fn bad(key: impl Into<String>, error: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            error: error.into(),
            key: Some(key.into()).filter(|k: &String| !k.is_empty()),
        }
    }

    /// 413.
    pub fn too_large(key: Option<&str>, error: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            error: error.into(),
            key: key.map(str::to_string),
        }
    }

    /// 500: something on the server's side failed.
    pub fn internal(error: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, error)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.key {
            Some(k) => write!(f, "{} ({k})", self.error),
            None => write!(f, "{}", self.error),
        }
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"error": self.error, "key": self.key});
        (self.status, axum::Json(body)).into_response()
    }
}

/// Any path that is neither the page nor the API.
pub async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "no such page or API endpoint")
}
