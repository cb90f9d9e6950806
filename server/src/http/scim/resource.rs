//! A SCIM User as Vestibule keeps it: the attributes it publishes in its schema (`userName`,
//! `externalId`, `name`, `displayName`, `userType`, `emails`, `active`) checked and reduced to those, the
//! host it makes (a name and an email), and its JSON rendering with `attributes` /
//! `excludedAttributes` applied. PATCH is [`super::patch`].

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};
use vestibule_shared::types::{Email, PersonName};

use super::ScimError;
use crate::store::{ScimUserRow, ScimWrite};

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";

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

pub(super) fn invalid(detail: impl Into<String>) -> ScimError {
    ScimError::bad("invalidValue", detail)
}

/// An attribute name without the core schema's URN prefix, in the case the schema spells it
/// (SCIM attribute names are case-insensitive).
pub(super) fn canonical(name: &str) -> Option<&'static str> {
    let bare = name
        .strip_prefix(USER_SCHEMA)
        .map_or(name, |rest| rest.trim_start_matches(':'));
    [
        "userName",
        "externalId",
        "name",
        "displayName",
        "userType",
        "emails",
        "active",
        "id",
        "meta",
        "schemas",
    ]
    .into_iter()
    .find(|a| a.eq_ignore_ascii_case(bare))
}

pub(super) fn sub_canonical(attr: &str, sub: &str) -> Option<&'static str> {
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
            "userName" | "externalId" | "displayName" | "userType" => Value::String(text(v, attr)?),
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
    let user_type = str_of("userType")
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    Ok(ScimWrite {
        user_name,
        external_id,
        host_name: host_name.as_str().to_owned(),
        host_email,
        active,
        user_type,
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

#[cfg(test)]
mod tests {
    use super::super::patch::{PATCH_SCHEMA, patch};
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
