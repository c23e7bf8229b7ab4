//! Error text for logs and records: an error with all its sources on one line (the AWS SDK puts the useful part,
//! such as the service's message or the network failure, in `source()`).

/// `err: source: source of source …`
pub fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = err.to_string();
    let mut next = err.source();
    while let Some(e) = next {
        out.push_str(": ");
        out.push_str(&e.to_string());
        next = e.source();
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn sources_are_joined() {
        #[derive(Debug, thiserror::Error)]
        #[error("dispatch failure")]
        struct Outer(#[source] std::io::Error);
        assert_eq!(
            super::chain(&Outer(std::io::Error::other("timeout"))),
            "dispatch failure: timeout"
        );
    }
}
