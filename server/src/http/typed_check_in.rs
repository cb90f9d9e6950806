//! A walk-in's check-in of a visitor type: the request is held to the type's flow (the fields it
//! asks and requires, its questions, every agreement it asks signed at an existing version, the
//! signature, the photo, the host or the type's default host) and refused whole, in the envelope,
//! before anything is written when it does not fit. The photo and signature are decoded and
//! re-encoded off the async workers (`images`). The visit, what it recorded (answers, photo and
//! signature sealed under the visit's id; the agreements' versions and hashes), a pass request and
//! the visitor's copy of the agreements are written in one transaction. A type that asks for
//! approval leaves the visit `pending_approval`: no badge code until the host approves.

use std::collections::{HashMap, HashSet};

use axum::http::HeaderMap;
use base64::Engine;
use vestibule_shared::{
    dto::{
        visitor_types::{
            AnswerValue, FieldRule, QuestionKind, RecordedAnswer, StandardFields, VisitorTypeInput,
        },
        visits::CheckIn,
    },
    types::{ImageData, Language},
};

use super::{
    agreements::stored_texts,
    device::{CheckInAnswer, answer, idempotency},
    visitor_types::{flow_of, label_in, plain},
};
use crate::{
    auth::Kiosk,
    error::Error,
    images,
    state::AppState,
    store::{Actor, Flow, NewRecord, NewVisit, Notification, Offline, TenantTx},
};

/// Checks a walk-in of a visitor type in (the kiosk, or a receptionist in override mode).
pub(super) async fn check_in(
    state: &AppState,
    k: &Kiosk,
    actor: Actor,
    headers: &HeaderMap,
    body: CheckIn,
    offline: Option<Offline>,
) -> Result<CheckInAnswer, Error> {
    let idempotency = idempotency(headers, &body)?;
    let (photo, signature) = (body.photo.clone(), body.signature.clone());
    let (photo, signature) = tokio::task::spawn_blocking(move || {
        let photo = photo.map(|p| decoded(&p, "photo").and_then(|b| images::photo(&b)));
        let signature =
            signature.map(|s| decoded(&s, "signature").and_then(|b| images::signature(&b)));
        Ok::<_, Error>((photo.transpose()?, signature.transpose()?))
    })
    .await
    .map_err(|e| Error::Internal(e.into()))??;

    let mut tx = state.store.write(k.tenant).await?;
    let type_id = body.visitor_type_id.unwrap_or_default();
    let offered = tx.visitor_types_of_site(k.kiosk.site_id).await?;
    let row = offered.iter().find(|t| t.id == type_id).ok_or_else(|| {
        Error::InvalidInput("visitor_type_id: not a visitor type of this site".into())
    })?;
    let t = flow_of(row)?;
    let lang = tx.settings().await?.language;
    standard_fields(&t.fields, &body)?;
    let answers = recorded(&t, &body, lang)?;
    let agreements = signed(&mut tx, &t, &body).await?;
    match (agreements.is_empty(), &signature) {
        (false, None) => return refuse("signature: sign the agreements"),
        (true, Some(_)) => return refuse("signature: this visitor type signs no agreement"),
        _ => {}
    }
    match (t.photo, &photo) {
        (true, None) => return refuse("photo: this visitor type takes a photo"),
        (false, Some(_)) => return refuse("photo: this visitor type takes no photo"),
        _ => {}
    }
    let host_id = match (body.host_id, t.host_required, t.default_host_id) {
        (Some(host), _, _) => host,
        (None, false, Some(host)) => host,
        _ => return refuse("host_id: choose the host you are visiting"),
    };
    let new = NewVisit {
        site_id: k.kiosk.site_id,
        host_id,
        visitor: body.visitor.clone(),
        purpose: body.purpose.clone().map(Into::into),
        actor,
        kiosk_id: Some(k.kiosk.id),
        idempotency: Some(idempotency),
        flow: Flow::Typed {
            approval: t.approval,
        },
        offline,
    };
    let (visit, replayed) = tx.check_in(&new).await?;
    if !replayed {
        let answers = (!answers.is_empty())
            .then(|| serde_json::to_string(&answers))
            .transpose()
            .map_err(|e| Error::Internal(e.into()))?;
        let record = NewRecord {
            visitor_type_id: row.id,
            type_name: label_in(&plain(&t.names), lang),
            answers,
            photo,
            signature,
            agreements,
        };
        tx.record_visit(visit.id, &record).await?;
        if body.want_pass {
            tx.request_pass(actor, visit.visitor_id, visit.id).await?;
        }
        if body.email_agreements && !record.agreements.is_empty() && tx.has_smtp().await? {
            let copy = Notification::about("agreement", visit.id);
            let now = tx.now();
            tx.enqueue("visitor_agreement", &copy, now).await?;
        }
    }
    tx.commit().await?;
    state.store.kick_sealer(k.tenant);
    if !replayed {
        super::device::announce(state, k.tenant, &visit, (k.kiosk.site_id, host_id)).await;
    }
    Ok(answer(
        replayed,
        super::views::checked_in(visit, None, None),
    ))
}

fn refuse<T>(message: &str) -> Result<T, Error> {
    Err(Error::InvalidInput(message.to_owned()))
}

/// An image's bytes from its base64.
fn decoded(data: &ImageData, field: &str) -> Result<Vec<u8>, Error> {
    base64::engine::general_purpose::STANDARD
        .decode(data.as_str())
        .map_err(|_| Error::InvalidInput(format!("{field}: is not valid base64")))
}

/// The standard fields as the type asks them: required ones given, switched-off ones absent.
fn standard_fields(f: &StandardFields, body: &CheckIn) -> Result<(), Error> {
    let given = [
        ("visitor.company", f.company, body.visitor.company.is_some()),
        ("visitor.phone", f.phone, body.visitor.phone.is_some()),
        ("purpose", f.purpose, body.purpose.is_some()),
    ];
    for (field, rule, present) in given {
        match (rule, present) {
            (FieldRule::Required, false) => {
                return Err(Error::InvalidInput(format!("{field}: is required")));
            }
            (FieldRule::Off, true) => {
                return Err(Error::InvalidInput(format!(
                    "{field}: this visitor type does not ask it"
                )));
            }
            _ => {}
        }
    }
    Ok(())
}

/// The answers as recorded with the visit (the question and the answer in the tenant's
/// language), once each is checked against its question: every answer to a question of this
/// type, of its kind, at most once, and every required question answered.
fn recorded(
    t: &VisitorTypeInput,
    body: &CheckIn,
    lang: Language,
) -> Result<Vec<RecordedAnswer>, Error> {
    let (yes, no) = match lang {
        Language::En => ("Yes", "No"),
        Language::Fr => ("Oui", "Non"),
    };
    let given: HashMap<_, _> = body
        .answers
        .iter()
        .map(|a| (a.question_id, &a.value))
        .collect();
    if given.len() != body.answers.len() {
        return refuse("answers: one answer per question");
    }
    if let Some(stray) = given
        .keys()
        .find(|id| !t.questions.iter().any(|q| q.id == Some(**id)))
    {
        return Err(Error::InvalidInput(format!(
            "answers: {stray} is not a question of this visitor type"
        )));
    }
    let mut out = Vec::new();
    for q in &t.questions {
        let id = q.id.unwrap_or_default();
        let Some(value) = given.get(&id) else {
            if q.required {
                return Err(Error::InvalidInput(format!("answers: {id} is required")));
            }
            continue;
        };
        let answer = match (q.kind, value) {
            (QuestionKind::YesNo, AnswerValue::YesNo(b)) => (if *b { yes } else { no }).to_owned(),
            (QuestionKind::Choice, AnswerValue::Choice(i)) => {
                match q.choices.get(usize::from(*i)) {
                    Some(labels) => label_in(&plain(labels), lang),
                    None => {
                        return Err(Error::InvalidInput(format!(
                            "answers: {id} has no such choice"
                        )));
                    }
                }
            }
            (QuestionKind::Text, AnswerValue::Text(s)) => s.as_str().to_owned(),
            _ => {
                return Err(Error::InvalidInput(format!(
                    "answers: {id} takes another kind of answer"
                )));
            }
        };
        out.push(RecordedAnswer {
            question_id: id,
            question: label_in(&plain(&q.labels), lang),
            answer,
        });
    }
    Ok(out)
}

/// The agreements signed, as recorded: exactly the type's documents still offered, each at a
/// version that exists, in a language it has, with the SHA-256 of that text.
async fn signed(
    tx: &mut TenantTx,
    t: &VisitorTypeInput,
    body: &CheckIn,
) -> Result<Vec<(uuid::Uuid, i32, String, Vec<u8>)>, Error> {
    let live: HashSet<_> = tx.agreements().await?.iter().map(|a| a.id).collect();
    let asked: HashSet<_> = t.agreements.iter().filter(|a| live.contains(a)).collect();
    let shown: HashSet<_> = body.agreements.iter().map(|a| &a.document_id).collect();
    if asked != shown || shown.len() != body.agreements.len() {
        return refuse("agreements: sign each agreement of this visitor type once");
    }
    let mut out = Vec::with_capacity(body.agreements.len());
    for a in &body.agreements {
        let version = i32::try_from(a.version).unwrap_or(i32::MAX);
        let texts = match tx.agreement(a.document_id, Some(version)).await? {
            Some(row) => stored_texts(&row.texts)?,
            None => return refuse("agreements: no such version of the document"),
        };
        let Some(text) = texts.get(&a.language) else {
            return refuse("agreements: the document has no text in that language");
        };
        let sha = hex::decode(&text.sha256).map_err(|e| Error::Internal(e.into()))?;
        out.push((a.document_id, version, a.language.as_str().to_owned(), sha));
    }
    Ok(out)
}
