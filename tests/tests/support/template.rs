//! What both template suites read: the parsed `infra/template.yaml`, its resources, and the template as deployed
//! with given parameter values.
#![allow(dead_code)] // each suite uses its own subset

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_norway::{Mapping, Value};

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn template() -> Value {
    let path = repo_root().join("infra/template.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_norway::from_str(&text).expect("the template is plain YAML (long-form intrinsics only)")
}

pub fn resource<'a>(t: &'a Value, id: &str) -> &'a Value {
    let r = &t["Resources"][id];
    assert!(!r.is_null(), "template has no resource {id}");
    &r["Properties"]
}

pub fn get_att(v: &Value) -> (String, String) {
    let att = &v["Fn::GetAtt"];
    (
        att[0].as_str().unwrap_or_default().to_owned(),
        att[1].as_str().unwrap_or_default().to_owned(),
    )
}

pub fn s(v: &Value) -> &str {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a string, got {v:?}"))
}

/// A parsed YAML snippet (for expected intrinsics such as `{Ref: Table}`).
pub fn yaml(text: &str) -> Value {
    serde_norway::from_str(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// A scalar as CloudFormation passes it on: every parameter value is a string.
pub fn scalar(v: &Value) -> String {
    match v {
        Value::String(text) => text.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => panic!("expected a scalar, got {other:?}"),
    }
}

/// A whole number written as a number or a numeric string.
pub fn number(v: &Value) -> u64 {
    scalar(v)
        .parse()
        .unwrap_or_else(|_| panic!("expected a whole number, got {v:?}"))
}

/// The template as CloudFormation would see it with these parameter values (the rest at their defaults):
/// parameter `Ref`s become their values, `Fn::If` takes its branch, and `Ref: AWS::NoValue` disappears (`None`
/// for the whole value). Resource references and other intrinsics are left as written.
pub struct Deployed<'a> {
    t: &'a Value,
    parameters: BTreeMap<String, String>,
}

impl<'a> Deployed<'a> {
    pub fn with_defaults(t: &'a Value) -> Self {
        Self::with(t, &[])
    }

    pub fn with(t: &'a Value, overrides: &[(&str, &str)]) -> Self {
        let mut parameters: BTreeMap<String, String> = t["Parameters"]
            .as_mapping()
            .expect("Parameters")
            .iter()
            .map(|(name, p)| (s(name).to_owned(), scalar(&p["Default"])))
            .collect();
        for (name, value) in overrides {
            assert!(parameters.contains_key(*name), "no parameter {name}");
            parameters.insert((*name).to_owned(), (*value).to_owned());
        }
        Deployed { t, parameters }
    }

    pub fn condition(&self, name: &str) -> bool {
        let c = &self.t["Conditions"][name];
        assert!(!c.is_null(), "no condition {name}");
        self.truth(c)
    }

    pub fn truth(&self, c: &Value) -> bool {
        let args = |key: &str| c[key].as_sequence().map(Vec::as_slice);
        if let Some([inner]) = args("Fn::Not") {
            !self.truth(inner)
        } else if let Some([a, b]) = args("Fn::Equals") {
            let value = |v| scalar(&self.value(v).expect("a value to compare"));
            value(a) == value(b)
        } else if let Some(all) = args("Fn::And") {
            all.iter().all(|c| self.truth(c))
        } else if let Some(any) = args("Fn::Or") {
            any.iter().any(|c| self.truth(c))
        } else if let Some(name) = c["Condition"].as_str() {
            self.condition(name)
        } else {
            panic!("not a condition: {}", compact(c))
        }
    }

    pub fn value(&self, v: &Value) -> Option<Value> {
        match v {
            Value::Mapping(m) if m.len() == 1 && v["Ref"].is_string() => {
                let name = s(&v["Ref"]);
                if name == "AWS::NoValue" {
                    None
                } else if let Some(value) = self.parameters.get(name) {
                    Some(Value::String(value.clone()))
                } else {
                    Some(v.clone())
                }
            }
            Value::Mapping(m) if m.len() == 1 && v["Fn::If"].is_sequence() => {
                match v["Fn::If"].as_sequence().map(Vec::as_slice) {
                    Some([condition, yes, no]) => self.value(if self.condition(s(condition)) {
                        yes
                    } else {
                        no
                    }),
                    _ => panic!("malformed Fn::If: {}", compact(v)),
                }
            }
            Value::Mapping(m) => {
                let mut out = Mapping::new();
                for (k, item) in m {
                    if let Some(item) = self.value(item) {
                        out.insert(k.clone(), item);
                    }
                }
                Some(Value::Mapping(out))
            }
            Value::Sequence(items) => Some(Value::Sequence(
                items.iter().filter_map(|item| self.value(item)).collect(),
            )),
            other => Some(other.clone()),
        }
    }

    /// A resource's properties as deployed.
    pub fn properties(&self, id: &str) -> Value {
        self.value(resource(self.t, id)).expect("properties")
    }
}

/// A tool `infra/scripts/stack.sh install` puts under `.local/`, or the path in `env` when set.
pub fn installed_tool(env: &str, default: &str) -> PathBuf {
    let path = std::env::var(env)
        .map(PathBuf::from)
        .unwrap_or_else(|_| repo_root().join(default));
    assert!(
        path.exists(),
        "{} missing: run `infra/scripts/stack.sh install`",
        path.display()
    );
    path
}

/// A property of a function, falling back to the template's `Globals.Function`.
pub fn function_property<'a>(t: &'a Value, id: &str, name: &str) -> &'a Value {
    let own = &resource(t, id)[name];
    if own.is_null() {
        &t["Globals"]["Function"][name]
    } else {
        own
    }
}

/// A function's environment variables: `Globals.Function`'s merged with its own (SAM merges maps, the
/// function's entries winning).
pub fn function_environment<'a>(t: &'a Value, id: &str) -> BTreeMap<&'a str, &'a Value> {
    let mut env = BTreeMap::new();
    for vars in [
        &t["Globals"]["Function"]["Environment"]["Variables"],
        &resource(t, id)["Environment"]["Variables"],
    ] {
        for (name, value) in vars.as_mapping().into_iter().flatten() {
            env.insert(s(name), value);
        }
    }
    env
}

/// The template's resources of one type, with their logical ids.
pub fn resources_of<'a>(t: &'a Value, kind: &str) -> Vec<(&'a str, &'a Value)> {
    t["Resources"]
        .as_mapping()
        .expect("Resources")
        .iter()
        .filter(|(_, r)| r["Type"].as_str() == Some(kind))
        .map(|(id, r)| (s(id), r))
        .collect()
}

/// A policy field that may be one value or a list of them (`Action`, `Resource`, ...).
pub fn one_or_many(v: &Value) -> Vec<&Value> {
    match v {
        Value::Sequence(items) => items.iter().collect(),
        Value::Null => Vec::new(),
        one => vec![one],
    }
}

pub fn compact(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| format!("{v:?}"))
}

pub fn is_get_att(v: &Value, id: &str, attribute: &str) -> bool {
    get_att(v) == (id.to_owned(), attribute.to_owned())
}
