//! A SCIM User as Vestibule keeps it: the attributes it publishes in its schema (`userName`,
//! `externalId`, `name`, `displayName`, `emails`, `active`) checked and reduced to those, the
//! host it makes (a name and an email), its JSON rendering with `attributes` /
//! `excludedAttributes` applied, and PATCH (RFC 7644 §3.5.2) in the shapes Entra ID and Okta send:
//! capitalised ops, `"True"`/`"False"` strings, dotted keys in a path-less value, and
//! `emails[type eq "work"].value` paths.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};
use vestibule_shared::types::{Email, PersonName};

use super::ScimError;
use crate::store::{ScimUserRow, ScimWrite};

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// The longest string any attribute may hold.
const MAX_TEXT: usize = 256;
/// The most emails a user may have.
const MAX_EMAILS: usize = 10;
const NAME_PARTS: [&str; 6] = [
    "formatted",
    "familyName",
    "givenName",
    "middleName",
    "honorificPrefix",
    "honorificSuffix",
];
const EMAIL_PARTS: [&str; 4] = ["value", "type", "primary", "display"];

fn invalid(detail: impl Into<String>) -> ScimError {
    ScimError::bad("invalidValue", detail)
}

/// An attribute name without the core schema's URN prefix, in the case the schema spells it
/// (SCIM attribute names are case-insensitive).
fn canonical(name: &str) -> Option<&'static str> {
    let bare = name
        .strip_prefix(USER_SCHEMA)
        .map_or(name, |rest| rest.trim_start_matches(':'));
    [
        "userName",
        "externalId",
        "name",
        "displayName",
        "emails",
        "active",
        "id",
        "meta",
        "schemas",
    ]
    .into_iter()
    .find(|a| a.eq_ignore_ascii_case(bare))
}

fn sub_canonical(attr: &str, sub: &str) -> Option<&'static str> {
    let parts: &[&'static str] = match attr {
        "name" => &NAME_PARTS,
        "emails" => &EMAIL_PARTS,
        _ => &[],
    };
    parts.iter().copied().find(|p| p.eq_ignore_ascii_case(sub))
}

fn text(value: &Value, what: &str) -> Result<String, ScimError> {
    let s = value
        .as_str()
        .ok_or_else(|| invalid(format!("{what} must be a string")))?;
    if s.chars().count() > MAX_TEXT || s.chars().any(char::is_control) {
        return Err(invalid(format!(
            "{what} must be at most {MAX_TEXT} characters without control characters"
        )));
    }
    Ok(s.to_owned())
}

/// A boolean, also as Entra ID's `"True"` / `"False"`.
fn boolean(value: &Value, what: &str) -> Result<bool, ScimError> {
    match value {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(invalid(format!("{what} must be a boolean"))),
    }
}

/// A complex value reduced to its known sub-attributes, each checked.
fn complex(value: &Value, attr: &str) -> Result<Map<String, Value>, ScimError> {
    let obj = value
        .as_object()
        .ok_or_else(|| invalid(format!("{attr} must be an object")))?;
    let mut out = Map::new();
    for (k, v) in obj {
        let Some(sub) = sub_canonical(attr, k) else {
            continue;
        };
        if v.is_null() {
            continue;
        }
        let v = if sub == "primary" {
            Value::Bool(boolean(v, "emails.primary")?)
        } else {
            Value::String(text(v, &format!("{attr}.{sub}"))?)
        };
        out.insert(sub.to_owned(), v);
    }
    Ok(out)
}

/// The user's attributes checked and reduced to the published ones (`active` included);
/// read-only and unknown attributes are ignored, as RFC 7643 §2 allows.
pub fn clean(input: &Value) -> Result<Map<String, Value>, ScimError> {
    let obj = input
        .as_object()
        .ok_or_else(|| ScimError::bad("invalidSyntax", "the body must be a JSON object"))?;
    let mut out = Map::new();
    for (k, v) in obj {
        let Some(attr) = canonical(k) else { continue };
        if v.is_null() {
            continue;
        }
        let cleaned = match attr {
            "userName" | "externalId" | "displayName" => Value::String(text(v, attr)?),
            "active" => Value::Bool(boolean(v, attr)?),
            "name" => Value::Object(complex(v, attr)?),
            "emails" => {
                let items = v
                    .as_array()
                    .ok_or_else(|| invalid("emails must be an array"))?;
                if items.len() > MAX_EMAILS {
                    return Err(invalid(format!("at most {MAX_EMAILS} emails")));
                }
                let items = items
                    .iter()
                    .map(|e| complex(e, "emails").map(Value::Object))
                    .collect::<Result<Vec<_>, _>>()?;
                Value::Array(items)
            }
            _ => continue, // id, meta, schemas: the server's
        };
        out.insert(attr.to_owned(), cleaned);
    }
    Ok(out)
}

/// What a cleaned user writes: its host's name and email come from it.
pub fn to_write(attrs: Map<String, Value>) -> Result<ScimWrite, ScimError> {
    let str_of = |k: &str| attrs.get(k).and_then(Value::as_str).map(str::trim);
    let user_name = str_of("userName")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| invalid("userName is required"))?
        .to_owned();
    let name = attrs.get("name").and_then(Value::as_object);
    let part = |p: &str| {
        name.and_then(|n| n.get(p))
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    let joined = [part("givenName"), part("familyName")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let host_name = [
        str_of("displayName").filter(|s| !s.is_empty()),
        part("formatted"),
        Some(joined.as_str()).filter(|s| !s.is_empty()),
        Some(user_name.as_str()),
    ]
    .into_iter()
    .flatten()
    .find_map(|n| PersonName::parse(n).ok())
    .ok_or_else(|| invalid("the user needs a displayName or name of at most 200 characters"))?;
    let emails = attrs
        .get("emails")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let primary = emails
        .iter()
        .find(|e| e["primary"] == Value::Bool(true))
        .into_iter()
        .chain(&emails)
        .filter_map(|e| e["value"].as_str());
    let host_email = primary
        .chain([user_name.as_str()])
        .find_map(|e| Email::parse(e).ok())
        .ok_or_else(|| invalid("the user needs an email address (in emails, or as userName)"))?;
    let active = attrs.get("active").and_then(Value::as_bool).unwrap_or(true);
    let external_id = str_of("externalId")
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    Ok(ScimWrite {
        user_name,
        external_id,
        host_name: host_name.as_str().to_owned(),
        host_email,
        active,
        resource: Value::Object(attrs).to_string(),
    })
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The stored attributes (what a PATCH applies to).
pub fn attributes_of(row: &ScimUserRow) -> Map<String, Value> {
    match serde_json::from_str(&row.resource) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

/// The user as a SCIM resource.
pub fn render(row: &ScimUserRow) -> Value {
    let mut out = Map::new();
    out.insert("schemas".into(), json!([USER_SCHEMA]));
    out.insert("id".into(), json!(row.id));
    out.extend(attributes_of(row));
    out.insert(
        "meta".into(),
        json!({
            "resourceType": "User",
            "created": time(row.created_at),
            "lastModified": time(row.updated_at),
            "location": format!("/scim/v2/Users/{}", row.id),
            "version": format!("W/\"{}\"", row.version),
        }),
    );
    Value::Object(out)
}

/// Which attributes an answer carries (`attributes` or `excludedAttributes`, RFC 7644 §3.4.2.5):
/// top-level names or `name.sub` sub-attributes; `id` and `schemas` are always returned.
#[derive(Debug, Clone, Default)]
pub struct Projection {
    only: Option<Vec<(String, Option<String>)>>,
    except: Vec<(String, Option<String>)>,
}

fn attribute_list(raw: &str) -> Vec<(String, Option<String>)> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|a| {
            let bare = a
                .strip_prefix(USER_SCHEMA)
                .map_or(a, |r| r.trim_start_matches(':'));
            match bare.split_once('.') {
                Some((top, sub)) => (top.to_lowercase(), Some(sub.to_lowercase())),
                None => (bare.to_lowercase(), None),
            }
        })
        .collect()
}

impl Projection {
    pub fn new(attributes: Option<&str>, excluded: Option<&str>) -> Self {
        Self {
            only: attributes.map(attribute_list).filter(|l| !l.is_empty()),
            except: excluded.map(attribute_list).unwrap_or_default(),
        }
    }

    pub fn apply(&self, resource: Value) -> Value {
        let Value::Object(mut obj) = resource else {
            return resource;
        };
        let always = |k: &str| k == "id" || k == "schemas";
        if let Some(only) = &self.only {
            obj.retain(|k, v| {
                let key = k.to_lowercase();
                let wanted: Vec<&Option<String>> = only
                    .iter()
                    .filter(|(t, _)| *t == key)
                    .map(|(_, s)| s)
                    .collect();
                if always(k.as_str()) {
                    return true;
                }
                if wanted.is_empty() {
                    return false;
                }
                if !wanted.iter().any(|s| s.is_none()) {
                    keep_subs(v, &wanted);
                }
                true
            });
        }
        for (top, sub) in &self.except {
            let key = obj.keys().find(|k| k.to_lowercase() == *top).cloned();
            let Some(key) = key.filter(|k| !always(k.as_str())) else {
                continue;
            };
            match sub {
                None => {
                    obj.remove(&key);
                }
                Some(sub) => drop_sub(obj.get_mut(&key), sub),
            }
        }
        Value::Object(obj)
    }
}

fn keep_subs(v: &mut Value, wanted: &[&Option<String>]) {
    let keep = |o: &mut Map<String, Value>| {
        o.retain(|k, _| {
            wanted
                .iter()
                .any(|w| w.as_deref() == Some(k.to_lowercase().as_str()))
        });
    };
    match v {
        Value::Object(o) => keep(o),
        Value::Array(items) => items
            .iter_mut()
            .filter_map(Value::as_object_mut)
            .for_each(keep),
        _ => {}
    }
}

fn drop_sub(v: Option<&mut Value>, sub: &str) {
    let strip = |o: &mut Map<String, Value>| o.retain(|k, _| k.to_lowercase() != sub);
    match v {
        Some(Value::Object(o)) => strip(o),
        Some(Value::Array(items)) => items
            .iter_mut()
            .filter_map(Value::as_object_mut)
            .for_each(strip),
        _ => {}
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> Map<String, Value> {
        clean(&json!({
            "schemas": [USER_SCHEMA],
            "userName": "ada@example.com",
            "name": {"givenName": "Ada", "familyName": "Lovelace"},
            "emails": [{"value": "ada@example.com", "type": "work", "primary": true}],
            "active": true,
            "unknown": "ignored"
        }))
        .expect("clean")
    }

    fn ops(ops: Value) -> Value {
        json!({"schemas": [PATCH_SCHEMA], "Operations": ops})
    }

    #[test]
    fn a_user_makes_a_host() {
        let w = to_write(user()).expect("write");
        assert_eq!(w.host_name, "Ada Lovelace");
        assert_eq!(w.host_email.as_str(), "ada@example.com");
        assert!(w.active);
        assert!(!w.resource.contains("unknown"));
    }

    #[test]
    fn entra_deactivates_with_a_string() {
        let mut u = user();
        patch(
            &mut u,
            &ops(json!([{"op": "Replace", "path": "active", "value": "False"}])),
        )
        .expect("patch");
        assert!(
            !to_write(clean(&Value::Object(u)).expect("clean"))
                .expect("w")
                .active
        );
    }

    #[test]
    fn okta_deactivates_without_a_path() {
        let mut u = user();
        patch(
            &mut u,
            &ops(json!([{"op": "replace", "value": {"active": false}}])),
        )
        .expect("patch");
        assert_eq!(u["active"], json!(false));
    }

    #[test]
    fn entra_sets_a_work_email_and_dotted_names() {
        let mut u = user();
        let body = ops(json!([
            {"op": "Add", "path": "emails[type eq \"work\"].value", "value": "ada@new.example"},
            {"op": "Replace", "value": {"name.givenName": "Augusta", "displayName": "Augusta Ada"}}
        ]));
        patch(&mut u, &body).expect("patch");
        let w = to_write(clean(&Value::Object(u)).expect("clean")).expect("w");
        assert_eq!(w.host_email.as_str(), "ada@new.example");
        assert_eq!(w.host_name, "Augusta Ada");
    }

    #[test]
    fn removing_a_filtered_email_and_bad_paths() {
        let mut u = user();
        patch(
            &mut u,
            &ops(json!([{"op": "remove", "path": "emails[type eq \"work\"]"}])),
        )
        .expect("patch");
        assert_eq!(u["emails"], json!([]));
        for path in [
            "meta.created",
            "name[x eq \"y\"]",
            "emails[type gt \"a\"]",
            "nope",
        ] {
            let r = patch(
                &mut u,
                &ops(json!([{"op": "replace", "path": path, "value": "x"}])),
            );
            assert!(r.is_err(), "{path}");
        }
    }

    #[test]
    fn projection_keeps_what_was_asked() {
        let row = ScimUserRow {
            id: uuid::Uuid::nil(),
            resource: Value::Object(user()).to_string(),
            version: 1,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        let only = Projection::new(Some("userName,name.givenName"), None).apply(render(&row));
        assert_eq!(only["name"], json!({"givenName": "Ada"}));
        assert!(only.get("emails").is_none() && only.get("id").is_some());
        let except = Projection::new(None, Some("emails,id")).apply(render(&row));
        assert!(except.get("emails").is_none() && except.get("id").is_some());
    }
}
