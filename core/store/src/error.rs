//! Errors of the table repository, each saying whether a retry can help.

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};

use creatoros_model::contract::ContractError;

/// A failed table operation.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// The item does not fit the contract; retrying the same item cannot help.
    #[error(transparent)]
    Contract(#[from] ContractError),
    /// A conditional write found the condition false (the item exists, or is newer).
    #[error("{operation} on {table}: condition not met for {key}")]
    ConditionFailed {
        /// The API call.
        operation: &'static str,
        /// Table name.
        table: String,
        /// `pk | sk` of the item.
        key: String,
    },
    /// Another writer changed the item since it was read; read it again, then retry.
    #[error("{table}: {key} is no longer at version {expected}")]
    VersionConflict {
        /// Table name.
        table: String,
        /// `pk | sk` of the item.
        key: String,
        /// The version the writer had read.
        expected: u64,
    },
    /// DynamoDB throttled the request (capacity or request rate); back off and retry.
    #[error("{operation} on {table} throttled ({code}): {message}")]
    Throttled {
        /// The API call.
        operation: &'static str,
        /// Table name.
        table: String,
        /// AWS error code.
        code: String,
        /// AWS message.
        message: String,
    },
    /// Network, timeout or server-side failure; retrying may succeed.
    #[error("{operation} on {table} failed transiently: {message}")]
    Transient {
        /// The API call.
        operation: &'static str,
        /// Table name.
        table: String,
        /// What happened.
        message: String,
    },
    /// DynamoDB refused the request as malformed or forbidden; retrying the same request cannot help.
    #[error("{operation} on {table} rejected ({code}): {message}")]
    Rejected {
        /// The API call.
        operation: &'static str,
        /// Table name.
        table: String,
        /// AWS error code.
        code: String,
        /// AWS message.
        message: String,
    },
    /// A batch gave up at the retry cap with requests still unwritten (they are in the outcome).
    #[error("{table}: {unwritten} write requests still unprocessed after {attempts} attempts")]
    Unprocessed {
        /// Table name.
        table: String,
        /// How many requests were left.
        unwritten: usize,
        /// Attempts made on the last chunk that gave up.
        attempts: u32,
    },
}

impl RepoError {
    /// True when the same operation, tried again later, may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            RepoError::Throttled { .. }
            | RepoError::Transient { .. }
            | RepoError::Unprocessed { .. }
            | RepoError::VersionConflict { .. } => true,
            RepoError::Contract(_)
            | RepoError::ConditionFailed { .. }
            | RepoError::Rejected { .. } => false,
        }
    }

    /// True for a failed condition (not for a version conflict, which callers handle by re-reading).
    pub fn is_condition_failed(&self) -> bool {
        matches!(self, RepoError::ConditionFailed { .. })
    }

    /// Sorts an SDK error into the variants above.
    pub(crate) fn from_sdk<E, R>(
        operation: &'static str,
        table: &str,
        key: impl FnOnce() -> String,
        err: SdkError<E, R>,
    ) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug + 'static,
    {
        let table = table.to_owned();
        match &err {
            SdkError::TimeoutError(_)
            | SdkError::DispatchFailure(_)
            | SdkError::ResponseError(_) => RepoError::Transient {
                operation,
                table,
                message: creatoros_runtime::errors::chain(&err),
            },
            SdkError::ServiceError(service) => {
                let e = service.err();
                let code = e.code().unwrap_or("Unknown").to_owned();
                let message = e.message().unwrap_or_default().to_owned();
                match code.as_str() {
                    "ConditionalCheckFailedException" => RepoError::ConditionFailed {
                        operation,
                        table,
                        key: key(),
                    },
                    "ProvisionedThroughputExceededException"
                    | "ThrottlingException"
                    | "RequestLimitExceeded"
                    | "LimitExceededException" => RepoError::Throttled {
                        operation,
                        table,
                        code,
                        message,
                    },
                    "InternalServerError"
                    | "ServiceUnavailable"
                    | "InternalFailure"
                    | "TransactionInProgressException" => RepoError::Transient {
                        operation,
                        table,
                        message: format!("{code}: {message}"),
                    },
                    _ => RepoError::Rejected {
                        operation,
                        table,
                        code,
                        message,
                    },
                }
            }
            _ => RepoError::Rejected {
                operation,
                table,
                code: "Client".to_owned(),
                message: creatoros_runtime::errors::chain(&err),
            },
        }
    }
}
