//! PATCH (RFC 7644 §3.5.2) on a user's stored attributes, in the shapes Entra ID and Okta send:
//! capitalised ops, `"True"`/`"False"` strings, dotted keys in a path-less value, and
//! `emails[type eq "work"].value` paths.

use serde_json::{Map, Value, json};

use super::{
    ScimError,
    resource::{USER_SCHEMA, canonical, invalid, sub_canonical},
};

pub const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// A PATCH path: an attribute, optionally a `[sub eq "value"]` filter on a multi-valued one,
/// optionally a sub-attribute.
#[derive(Debug, Clone, PartialEq)]
struct Path {
    attr: &'static str,
    filter: Option<(&'static str, Value)>,
    sub: Option<&'static str>,
}

fn bad_path(raw: &str) -> ScimError {
    ScimError::bad("invalidPath", format!("unsupported path: {}", cut(raw)))
}

fn cut(s: &str) -> String {
    s.chars().take(80).collect()
}

fn parse_path(raw: &str) -> Result<Path, ScimError> {
    let raw = raw.trim();
    let bare = raw
        .strip_prefix(USER_SCHEMA)
        .map_or(raw, |r| r.trim_start_matches(':'));
    let (head, filter, rest) = match bare.split_once('[') {
        Some((head, tail)) => {
            let (inside, after) = tail.split_once(']').ok_or_else(|| bad_path(raw))?;
            (head, Some(inside), after)
        }
        None => match bare.split_once('.') {
            Some((head, sub)) => (head, None, sub),
            None => (bare, None, ""),
        },
    };
    let attr = canonical(head)
        .filter(|a| !matches!(*a, "id" | "meta" | "schemas"))
        .ok_or_else(|| bad_path(raw))?;
    let sub_name = rest.strip_prefix('.').unwrap_or(rest);
    let sub = if sub_name.is_empty() {
        None
    } else {
        Some(sub_canonical(attr, sub_name).ok_or_else(|| bad_path(raw))?)
    };
    let filter = match filter {
        None => None,
        Some(f) => {
            if attr != "emails" {
                return Err(bad_path(raw));
            }
            let (lhs, rhs) = split_eq(f).ok_or_else(|| bad_path(raw))?;
            let lhs = sub_canonical(attr, lhs).ok_or_else(|| bad_path(raw))?;
            Some((lhs, rhs))
        }
    };
    Ok(Path { attr, filter, sub })
}

/// `lhs eq "value"` (or `eq true` / `eq false`), the only comparison a path filter supports.
pub fn split_eq(f: &str) -> Option<(&str, Value)> {
    let mut parts = f.trim().splitn(3, char::is_whitespace);
    let lhs = parts.next()?;
    if !parts.next()?.eq_ignore_ascii_case("eq") {
        return None;
    }
    let rhs = parts.next()?.trim();
    let value = match rhs {
        r if r.eq_ignore_ascii_case("true") => Value::Bool(true),
        r if r.eq_ignore_ascii_case("false") => Value::Bool(false),
        r => serde_json::from_str::<String>(r).ok().map(Value::String)?,
    };
    Some((lhs, value))
}

fn selects(item: &Value, (sub, want): &(&'static str, Value)) -> bool {
    match (item.get(*sub), want) {
        (Some(Value::String(have)), Value::String(w)) => have.eq_ignore_ascii_case(w),
        (Some(have), w) => have == w,
        (None, _) => false,
    }
}

/// Applies a PATCH request's operations to `attrs` (the stored attributes with `active`).
pub fn patch(attrs: &mut Map<String, Value>, body: &Value) -> Result<(), ScimError> {
    let schemas_ok = body["schemas"]
        .as_array()
        .is_some_and(|s| s.iter().any(|x| x == PATCH_SCHEMA));
    if !schemas_ok {
        return Err(ScimError::bad(
            "invalidSyntax",
            format!("a PATCH body names the schema {PATCH_SCHEMA}"),
        ));
    }
    let ops = body["Operations"]
        .as_array()
        .or_else(|| body["operations"].as_array())
        .filter(|ops| !ops.is_empty() && ops.len() <= 100)
        .ok_or_else(|| ScimError::bad("invalidSyntax", "Operations: 1 to 100 operations"))?;
    for op in ops {
        let kind = op["op"].as_str().unwrap_or_default().to_ascii_lowercase();
        let value = op.get("value").cloned().unwrap_or(Value::Null);
        match (kind.as_str(), op["path"].as_str()) {
            ("add" | "replace", Some(path)) => {
                set(attrs, &parse_path(path)?, value, kind == "add")?
            }
            ("add" | "replace", None) => {
                let obj = value
                    .as_object()
                    .ok_or_else(|| invalid("an operation without a path needs an object value"))?;
                for (k, v) in obj {
                    set(attrs, &parse_path(k)?, v.clone(), kind == "add")?;
                }
            }
            ("remove", Some(path)) => remove(attrs, &parse_path(path)?, &value)?,
            ("remove", None) => {
                return Err(ScimError::bad("noTarget", "remove needs a path"));
            }
            _ => {
                return Err(ScimError::bad(
                    "invalidSyntax",
                    "op must be add, replace or remove",
                ));
            }
        }
    }
    Ok(())
}

fn set(
    attrs: &mut Map<String, Value>,
    path: &Path,
    value: Value,
    add: bool,
) -> Result<(), ScimError> {
    let key = path.attr.to_owned();
    match (path.filter.as_ref(), path.sub) {
        (None, None) if path.attr == "emails" => {
            let new = match value {
                Value::Array(items) => items,
                one @ Value::Object(_) => vec![one],
                _ => return Err(invalid("emails takes an array of emails")),
            };
            let list = attrs.entry(key).or_insert_with(|| json!([]));
            match list {
                Value::Array(items) if add => items.extend(new),
                _ => *list = Value::Array(new),
            }
        }
        (None, None) if path.attr == "name" && add => {
            let new = value
                .as_object()
                .ok_or_else(|| invalid("name must be an object"))?;
            let name = attrs.entry(key).or_insert_with(|| json!({}));
            if let Value::Object(n) = name {
                n.extend(new.clone());
            } else {
                *name = value;
            }
        }
        (None, None) => {
            attrs.insert(key, value);
        }
        (None, Some(sub)) => {
            let parent = attrs.entry(key).or_insert_with(|| json!({}));
            match parent {
                Value::Object(o) => {
                    o.insert(sub.to_owned(), value);
                }
                Value::Array(items) => {
                    items
                        .iter_mut()
                        .filter_map(Value::as_object_mut)
                        .for_each(|o| {
                            o.insert(sub.to_owned(), value.clone());
                        })
                }
                other => *other = json!({ sub: value }),
            }
        }
        (Some(filter), sub) => {
            let list = attrs.entry(key).or_insert_with(|| json!([]));
            let Value::Array(items) = list else {
                return Err(bad_path(path.attr));
            };
            let mut hit = false;
            for item in items.iter_mut().filter(|i| selects(i, filter)) {
                hit = true;
                match (sub, item.as_object_mut()) {
                    (Some(sub), Some(o)) => {
                        o.insert(sub.to_owned(), value.clone());
                    }
                    (None, Some(o)) => {
                        if let Some(v) = value.as_object() {
                            o.extend(v.clone());
                        }
                    }
                    (_, None) => {}
                }
            }
            if !hit {
                // Entra ID adds a work email as `emails[type eq "work"].value`.
                let mut item = Map::new();
                item.insert(filter.0.to_owned(), filter.1.clone());
                match (sub, value) {
                    (Some(sub), v) => {
                        item.insert(sub.to_owned(), v);
                    }
                    (None, Value::Object(v)) => item.extend(v),
                    (None, _) => return Err(invalid("an email is an object")),
                }
                items.push(Value::Object(item));
            }
        }
    }
    Ok(())
}

fn remove(attrs: &mut Map<String, Value>, path: &Path, value: &Value) -> Result<(), ScimError> {
    match (path.filter.as_ref(), path.sub) {
        (None, None) => {
            // Okta may name the values to remove from a multi-valued attribute.
            match (value, attrs.get_mut(path.attr)) {
                (Value::Array(gone), Some(Value::Array(items))) => {
                    items.retain(|i| !gone.iter().any(|g| g["value"] == i["value"]));
                }
                _ => {
                    attrs.remove(path.attr);
                }
            }
        }
        (None, Some(sub)) => match attrs.get_mut(path.attr) {
            Some(Value::Object(o)) => {
                o.remove(sub);
            }
            Some(Value::Array(items)) => items
                .iter_mut()
                .filter_map(Value::as_object_mut)
                .for_each(|o| {
                    o.remove(sub);
                }),
            _ => {}
        },
        (Some(filter), sub) => {
            if let Some(Value::Array(items)) = attrs.get_mut(path.attr) {
                match sub {
                    None => items.retain(|i| !selects(i, filter)),
                    Some(sub) => items
                        .iter_mut()
                        .filter(|i| selects(i, filter))
                        .filter_map(Value::as_object_mut)
                        .for_each(|o| {
                            o.remove(sub);
                        }),
                }
            }
        }
    }
    Ok(())
}
