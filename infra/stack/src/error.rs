//! The one error of the local tooling's AWS calls: which resource, and what its service said.

/// A call to a queue, table, bucket or stream failed. Carries the service's message; whether a retry helps is
/// the caller's call (the SDK has already retried what it could).
#[derive(Debug, thiserror::Error)]
#[error("{resource}: {message}")]
pub struct ServiceError {
    /// The queue URL, table, bucket or stream ARN.
    pub resource: String,
    /// What failed.
    pub message: String,
}
