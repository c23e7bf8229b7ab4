//! SDK clients from the standard AWS environment (`AWS_REGION`, `AWS_ENDPOINT_URL_<SERVICE>`, credentials).
//!
//! The local stack writes those variables to `.local/stack/stack.env`; on AWS the Lambda environment provides
//! them. The only local difference applied here: S3 uses path-style addressing, which moto needs and real S3
//! accepts.

use aws_config::SdkConfig;

/// The shared SDK configuration, loaded once, with the workers' retry configuration.
pub async fn load() -> SdkConfig {
    creatoros_store::retry::sdk_config().load().await
}

/// A DynamoDB client.
pub fn dynamodb(config: &SdkConfig) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(config)
}

/// An S3 client with path-style addressing.
pub fn s3(config: &SdkConfig) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::config::Builder::from(config)
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

/// An SQS client.
pub fn sqs(config: &SdkConfig) -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(config)
}

/// The DynamoDB endpoint in use, for tools (ElectroDB over node) that need it spelled out.
pub fn dynamodb_endpoint() -> Option<String> {
    std::env::var("AWS_ENDPOINT_URL_DYNAMODB")
        .or_else(|_| std::env::var("AWS_ENDPOINT_URL"))
        .ok()
}
