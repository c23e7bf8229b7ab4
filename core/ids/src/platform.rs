//! The platforms the app publishes to: a closed set, stored lower-case in items and keys.

use serde::{Deserialize, Serialize};

/// A social platform the app publishes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    /// LinkedIn.
    Linkedin,
    /// X (Twitter).
    X,
    /// YouTube.
    Youtube,
    /// Rednote (Xiaohongshu).
    Rednote,
}

impl Platform {
    /// Every platform, in model order.
    pub const ALL: [Platform; 4] = [
        Platform::Linkedin,
        Platform::X,
        Platform::Youtube,
        Platform::Rednote,
    ];

    /// The value stored in items and keys.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Linkedin => "linkedin",
            Platform::X => "x",
            Platform::Youtube => "youtube",
            Platform::Rednote => "rednote",
        }
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Platform {
    type Err = crate::InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Platform::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| crate::InvalidValue {
                field: "platform",
                value: s.chars().take(80).collect(),
                rule: "must be one of linkedin, x, youtube, rednote",
            })
    }
}
