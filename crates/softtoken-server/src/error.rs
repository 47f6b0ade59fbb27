//! API errors: every refusal is a JSON body `{"error": {"code": "...", "message": "..."}}` with a stable code and
//! a 4xx status; internal failures are a 500 with code `internal` and a message that names no secret.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::db::DbError;
use crate::files::FileError;
use crate::service::ServiceError;

#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed (JSON, types, sizes, formats).
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    /// No or wrong bearer token.
    #[error("a valid bearer token is required (Authorization: Bearer …)")]
    Unauthorized,
    /// A valid token of another scope (the API token at /v1/admin, or the admin token at /v1/validate).
    #[error("{message}")]
    Forbidden { message: &'static str },
    /// The thing named does not exist.
    #[error("{message}")]
    NotFound { code: &'static str, message: String },
    /// The request conflicts with the current state.
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// The body is over the limit.
    #[error("the request body is too large")]
    TooLarge,
    /// Too many requests.
    #[error("too many requests: wait a minute and try again")]
    RateLimited,
    /// The database gave up on a transaction that met another (a deadlock or serialization failure) and the
    /// retries did not get through: nothing was changed; the client may send the request again.
    #[error("the server is busy: nothing was changed, please try again")]
    Busy(String),
    /// Something on our side failed.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn bad(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::BadRequest {
            code,
            message: message.into(),
        }
    }

    pub fn not_found(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::NotFound {
            code,
            message: message.into(),
        }
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::Conflict {
            code,
            message: message.into(),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest { code, .. }
            | ApiError::NotFound { code, .. }
            | ApiError::Conflict { code, .. } => code,
            ApiError::Unauthorized => "unauthorized",
            ApiError::Forbidden { .. } => "wrong_credential",
            ApiError::RateLimited => "rate_limited",
            ApiError::TooLarge => "body_too_large",
            ApiError::Busy(_) => "busy",
            ApiError::Internal(_) => "internal",
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden { .. } => StatusCode::FORBIDDEN,
            ApiError::NotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ApiError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<softtoken_core::Error> for ApiError {
    fn from(e: softtoken_core::Error) -> Self {
        use softtoken_core::Error as E;
        match e {
            E::Sealed { .. } | E::Io { .. } | E::QrEncode { .. } => ApiError::Internal(e.to_string()),
            other => ApiError::BadRequest {
                code: other.code(),
                message: other.to_string(),
            },
        }
    }
}

/// The database's errors at the HTTP edge: the one-active-token rule is a 409, an unknown serial a 404, a
/// transaction that kept meeting others a 503 `busy`; anything else is internal.
impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::HasActiveToken => ApiError::conflict("has_active_token", e.to_string()),
            DbError::UnknownSerial => ApiError::not_found("unknown_serial", e.to_string()),
            DbError::Busy(msg) => ApiError::Busy(msg),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

/// The service's errors at the HTTP edge.
impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Db(d) => d.into(),
            ServiceError::Core(c) => c.into(),
            ServiceError::ActivationCodeInvalid => ApiError::bad("activation_code_invalid", e.to_string()),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

/// A file the server cannot use stops it at start, with the message saying what to do.
impl From<FileError> for ApiError {
    fn from(e: FileError) -> Self {
        ApiError::Internal(e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // The details of an internal failure (a database message, a path) go to the log only: the client learns
        // that it failed and that the operator can look it up, nothing about the server's insides.
        let message = match &self {
            ApiError::Internal(msg) => {
                tracing::error!(error = %msg, "internal error");
                "internal error: the server could not complete the request (the details are in its log)"
                    .to_string()
            }
            ApiError::Busy(msg) => {
                tracing::warn!(error = %msg, "database busy after retries");
                self.to_string()
            }
            _ => self.to_string(),
        };
        let body = json!({ "error": { "code": self.code(), "message": message } });
        let mut resp = (self.status(), Json(body)).into_response();
        if matches!(self, ApiError::Unauthorized) {
            resp.headers_mut()
                .insert("www-authenticate", axum::http::HeaderValue::from_static("Bearer"));
        }
        resp
    }
}

/// Turns axum's JSON extractor rejections into our coded 400s (malformed JSON, wrong types, wrong content type,
/// body too large).
pub fn json_rejection(r: axum::extract::rejection::JsonRejection) -> ApiError {
    use axum::extract::rejection::JsonRejection as J;
    match r {
        J::JsonDataError(e) => ApiError::bad(
            "bad_json_fields",
            format!("the JSON fields are wrong: {}", e.body_text()),
        ),
        J::JsonSyntaxError(e) => ApiError::bad(
            "bad_json",
            format!("the body is not valid JSON: {}", e.body_text()),
        ),
        J::MissingJsonContentType(_) => {
            ApiError::bad("bad_content_type", "send Content-Type: application/json")
        }
        J::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => ApiError::TooLarge,
        other => ApiError::bad("bad_request", other.body_text()),
    }
}

/// 404 for everything else, in the same error shape.
pub async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({ "error": { "code": "not_found", "message": "no such endpoint" } })),
    )
        .into_response()
}
