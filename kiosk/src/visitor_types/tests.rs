//! A typed check-in's arguments, as the UI sends them, parse into what the server's `CheckIn`
//! reads; anything malformed is refused with the field it came from, before anything is sent.

use serde_json::{Value as Json, json};
use vestibule_shared::dto::visits::CheckIn;

use super::*;

const TYPE: &str = "0190a6f0-0000-7000-8000-000000000001";
const HOSTLESS: &str = "0190a6f0-0000-7000-8000-000000000002";
const HOST: &str = "0190a6f0-0000-7000-8000-0000000000aa";
const QUESTION: &str = "0190a6f0-0000-7000-8000-0000000000b1";
const DOCUMENT: &str = "0190a6f0-0000-7000-8000-0000000000c1";
/// The base64 of a PNG's first bytes, and of a JPEG's.
const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAA";
const JPEG: &str = "/9j/4AAQSkZJRgABAQAAAQAB";

fn offered() -> Vec<KioskVisitorType> {
    let kind = |id: &str, host_required: bool| {
        json!({"id": id, "names": {"en": "Visitor"}, "icon": "visitor",
            "fields": {"company": "optional", "phone": "off", "purpose": "required"},
            "questions": [], "agreements": [], "photo": false,
            "host_required": host_required, "approval": false})
    };
    serde_json::from_value(json!([kind(TYPE, true), kind(HOSTLESS, false)])).expect("types")
}

/// The arguments of a check-in as the UI sends them, with `extra` fields set.
fn args(extra: Json) -> CheckInArgs {
    let mut v = json!({
        "visitor": {"name": "Ada Lovelace", "email": "ada@example.com", "company": null, "phone": null},
        "host_id": HOST,
        "purpose": null,
        "want_pass": false,
    });
    for (k, x) in extra.as_object().expect("an object") {
        v[k] = x.clone();
    }
    serde_json::from_value(v).expect("the UI's arguments")
}

fn field_of(e: Error) -> Vec<String> {
    match e {
        Error::Validation { fields, .. } => fields.into_keys().collect(),
        other => panic!("not a validation error: {other:?}"),
    }
}

#[test]
fn a_typed_check_in_becomes_what_the_server_reads() {
    let a = args(json!({
        "visitor_type_id": TYPE,
        "answers": [
            {"question_id": QUESTION, "value": true},
            {"question_id": QUESTION, "value": 2},
            {"question_id": QUESTION, "value": "  Forklift licence  "},
        ],
        "agreements": [{"document_id": DOCUMENT, "version": 3, "language": "fr"}],
        "signature": PNG,
        "photo": JPEG,
        "email_agreements": true,
    }));
    let typed = serde_json::to_value(TypedFields::parse(&a).expect("valid")).expect("json");
    assert_eq!(
        typed,
        json!({
            "visitor_type_id": TYPE,
            "answers": [
                {"question_id": QUESTION, "value": true},
                {"question_id": QUESTION, "value": 2},
                {"question_id": QUESTION, "value": "Forklift licence"},
            ],
            "agreements": [{"document_id": DOCUMENT, "version": 3, "language": "fr"}],
            "signature": PNG,
            "photo": JPEG,
            "email_agreements": true,
        })
    );
    let mut body =
        json!({"visitor": {"name": "Ada Lovelace", "email": "ada@example.com"}, "host_id": HOST});
    for (k, v) in typed.as_object().expect("an object") {
        body[k] = v.clone();
    }
    let check_in: CheckIn = serde_json::from_value(body).expect("the server's CheckIn");
    assert_eq!(check_in.answers.len(), 3);
    assert_eq!(check_in.agreements[0].version, 3);
    assert!(check_in.signature.is_some() && check_in.photo.is_some() && check_in.email_agreements);
}

#[test]
fn the_built_in_flow_sends_nothing_more() {
    let a = args(json!({}));
    let typed = serde_json::to_value(TypedFields::parse(&a).expect("valid")).expect("json");
    assert_eq!(typed, json!({}));
    assert_eq!(
        host_id(&a, &offered()).expect("a host"),
        Some(HOST.parse().expect("uuid"))
    );
}

#[test]
fn the_host_may_be_skipped_only_when_the_type_says_so() {
    let hostless = args(json!({"host_id": null, "visitor_type_id": HOSTLESS}));
    assert_eq!(host_id(&hostless, &offered()).expect("skippable"), None);
    let blank = args(json!({"host_id": "  ", "visitor_type_id": HOSTLESS}));
    assert_eq!(host_id(&blank, &offered()).expect("skippable"), None);
    for refused in [
        args(json!({"host_id": null, "visitor_type_id": TYPE})),
        args(json!({"host_id": null})),
        args(json!({"host_id": null, "visitor_type_id": HOSTLESS.replace("02", "03")})),
    ] {
        assert_eq!(
            field_of(host_id(&refused, &offered()).expect_err("a host")),
            ["host"]
        );
    }
    // Not yet fetched: the host is required.
    assert_eq!(
        field_of(host_id(&hostless, &[]).expect_err("a host")),
        ["host"]
    );
    let bad = args(json!({"host_id": "nope"}));
    assert_eq!(
        field_of(host_id(&bad, &offered()).expect_err("an id")),
        ["host"]
    );
}

#[test]
fn answers_are_refused_on_their_question() {
    let field = format!("question:{QUESTION}");
    for value in [
        json!(10),
        json!(300),
        json!(""),
        json!("   "),
        json!("x".repeat(501)),
        json!("a\u{7}b"),
    ] {
        let a = args(
            json!({"visitor_type_id": TYPE, "answers": [{"question_id": QUESTION, "value": value}]}),
        );
        assert_eq!(
            field_of(TypedFields::parse(&a).err().expect("refused")),
            std::slice::from_ref(&field),
            "{value}"
        );
    }
    let a =
        args(json!({"visitor_type_id": TYPE, "answers": [{"question_id": "q", "value": true}]}));
    assert_eq!(
        field_of(TypedFields::parse(&a).err().expect("refused")),
        ["question:q"]
    );
    // Neither a boolean, a whole number nor a string: not a command's arguments at all.
    for value in [json!(1.5), json!(-1), json!(null), json!([1])] {
        let v = json!({"visitor": {"name": "A", "email": "a@example.com", "company": null, "phone": null},
            "host_id": HOST, "purpose": null, "answers": [{"question_id": QUESTION, "value": value}]});
        assert!(serde_json::from_value::<CheckInArgs>(v).is_err(), "{value}");
    }
}

#[test]
fn agreements_need_a_signature_and_images_must_be_of_their_kind() {
    let shown = json!([{"document_id": DOCUMENT, "version": 1, "language": "en"}]);
    let unsigned = args(json!({"visitor_type_id": TYPE, "agreements": shown}));
    assert_eq!(
        field_of(TypedFields::parse(&unsigned).err().expect("refused")),
        ["signature"]
    );
    for (field, value) in [
        ("signature", JPEG.to_owned()),
        ("signature", format!("data:image/png;base64,{PNG}")),
        ("signature", "not base64!".to_owned()),
        ("photo", "R0lGODlhAQABAAAAACw=".to_owned()),
        (
            "photo",
            "A".repeat(ImageData::MAX_BYTES.div_ceil(3) * 4 + 4),
        ),
        ("photo", String::new()),
    ] {
        let a = args(
            json!({"visitor_type_id": TYPE, "agreements": shown, "signature": PNG, field: value}),
        );
        assert_eq!(
            field_of(TypedFields::parse(&a).err().expect("refused")),
            [field],
            "{field}"
        );
    }
    for photo in [PNG, JPEG] {
        let a = args(json!({"visitor_type_id": TYPE, "photo": photo}));
        assert!(TypedFields::parse(&a).is_ok());
    }
    let a = args(
        json!({"visitor_type_id": TYPE, "agreements": [{"document_id": "d", "version": 1, "language": "en"}], "signature": PNG}),
    );
    assert_eq!(
        field_of(TypedFields::parse(&a).err().expect("refused")),
        ["agreements"]
    );
    let a = args(json!({"visitor_type_id": "t"}));
    assert_eq!(
        field_of(TypedFields::parse(&a).err().expect("refused")),
        ["visitor_type"]
    );
}
