//! What a delivery says: for `standard` webhooks the JSON `{type, timestamp, data}` of the
//! Standard Webhooks specification; for Slack a Block Kit message, for Teams an Adaptive Card
//! 1.4 in a workflow message, both in the tenant's language. The visitor appears only when the
//! webhook sends visitors ([`EventFacts::visitor`]).

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};
use vestibule_shared::{
    dto::webhooks::{WebhookEvent, WebhookKind},
    types::Language,
};

use crate::store::EventFacts;

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The key of the event's subject in `data`.
fn subject_key(event: WebhookEvent) -> &'static str {
    match event {
        WebhookEvent::VisitCheckedIn | WebhookEvent::VisitCheckedOut | WebhookEvent::VisitHeld => {
            "visit_id"
        }
        WebhookEvent::InviteCreated => "invite_id",
        WebhookEvent::EvacuationStarted => "evacuation_id",
        WebhookEvent::Test => "webhook_id",
    }
}

/// The `standard` body.
pub fn standard(event: WebhookEvent, at: DateTime<Utc>, facts: &EventFacts) -> Value {
    let mut data = Map::new();
    data.insert(subject_key(event).into(), json!(facts.subject));
    if let Some((id, name)) = &facts.site {
        data.insert("site".into(), json!({"id": id, "name": name}));
    }
    if event != WebhookEvent::EvacuationStarted && event != WebhookEvent::Test {
        let host = facts
            .host
            .as_ref()
            .map(|(id, name)| json!({"id": id, "name": name.as_str()}));
        data.insert("host".into(), host.unwrap_or(Value::Null));
    }
    for (name, t) in &facts.times {
        data.insert((*name).into(), json!(time(*t)));
    }
    if let Some((name, company)) = &facts.visitor {
        let company = company.as_ref().map(|c| c.as_str());
        data.insert(
            "visitor".into(),
            json!({"name": name.as_str(), "company": company}),
        );
    }
    json!({"type": event.as_str(), "timestamp": time(at), "data": data})
}

/// The headline of a chat message.
fn headline(event: WebhookEvent, lang: Language) -> &'static str {
    use WebhookEvent as E;
    match (lang, event) {
        (Language::Fr, E::VisitCheckedIn) => "Arrivée d'un visiteur",
        (Language::Fr, E::VisitCheckedOut) => "Départ d'un visiteur",
        (Language::Fr, E::VisitHeld) => "Visiteur retenu à l'accueil",
        (Language::Fr, E::InviteCreated) => "Nouvelle invitation",
        (Language::Fr, E::EvacuationStarted) => "Évacuation en cours",
        (Language::Fr, E::Test) => "Événement de test de Vestibule",
        (_, E::VisitCheckedIn) => "Visitor checked in",
        (_, E::VisitCheckedOut) => "Visitor checked out",
        (_, E::VisitHeld) => "Visitor held at reception",
        (_, E::InviteCreated) => "New invitation",
        (_, E::EvacuationStarted) => "Evacuation started",
        (_, E::Test) => "Vestibule test event",
    }
}

/// The facts of a chat message as (label, value) pairs, in the tenant's language.
fn fact_lines(facts: &EventFacts, lang: Language) -> Vec<(&'static str, String)> {
    let fr = lang == Language::Fr;
    let mut lines = Vec::new();
    if let Some((name, company)) = &facts.visitor {
        let who = match company {
            Some(c) => format!("{} ({})", name.as_str(), c.as_str()),
            None => name.to_string(),
        };
        lines.push((if fr { "Visiteur" } else { "Visitor" }, who));
    }
    if let Some((_, name)) = &facts.host {
        lines.push((if fr { "Hôte" } else { "Host" }, name.to_string()));
    }
    if let Some((_, name)) = &facts.site {
        lines.push(("Site", name.clone()));
    }
    for (name, t) in &facts.times {
        let label = match (*name, fr) {
            ("checked_in_at", false) => "Arrived",
            ("checked_in_at", true) => "Arrivée",
            ("checked_out_at", false) => "Left",
            ("checked_out_at", true) => "Départ",
            ("expected_at", false) => "Expected",
            ("expected_at", true) => "Attendu",
            (_, false) => "Started",
            (_, true) => "Début",
        };
        lines.push((label, t.format("%Y-%m-%d %H:%M UTC").to_string()));
    }
    lines
}

/// Slack's mrkdwn: `&`, `<` and `>` escaped, so a name cannot make a link or a mention.
fn mrkdwn(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The Slack body: a fallback `text` and Block Kit blocks.
pub fn slack(event: WebhookEvent, facts: &EventFacts, lang: Language) -> Value {
    let title = headline(event, lang);
    let lines = fact_lines(facts, lang);
    let fields: Vec<Value> = lines
        .iter()
        .map(|(k, v)| json!({"type": "mrkdwn", "text": format!("*{k}*\n{}", mrkdwn(v))}))
        .take(10)
        .collect();
    let mut section = json!({"type": "section", "text": {"type": "mrkdwn", "text": format!("*{}*", mrkdwn(title))}});
    if !fields.is_empty() {
        section["fields"] = Value::Array(fields);
    }
    let summary: Vec<String> = lines.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    json!({
        "text": format!("{title}. {}", summary.join(", ")),
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": title}},
            section,
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "Vestibule"}]}
        ]
    })
}

/// The Teams body: a workflow message with one Adaptive Card.
pub fn teams(event: WebhookEvent, facts: &EventFacts, lang: Language) -> Value {
    let facts: Vec<Value> = fact_lines(facts, lang)
        .into_iter()
        .map(|(k, v)| json!({"title": k, "value": v}))
        .collect();
    let mut body = vec![json!({
        "type": "TextBlock", "text": headline(event, lang), "weight": "bolder", "size": "medium", "wrap": true
    })];
    if !facts.is_empty() {
        body.push(json!({"type": "FactSet", "facts": facts}));
    }
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "body": body
            }
        }]
    })
}

/// The body for a webhook of `kind`.
pub fn body(
    kind: WebhookKind,
    event: WebhookEvent,
    at: DateTime<Utc>,
    facts: &EventFacts,
    lang: Language,
) -> Value {
    match kind {
        WebhookKind::Standard => standard(event, at, facts),
        WebhookKind::Slack => slack(event, facts, lang),
        WebhookKind::Teams => teams(event, facts, lang),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;
    use zeroize::Zeroizing;

    fn facts() -> EventFacts {
        EventFacts {
            subject: Some(Uuid::nil()),
            site: Some((Uuid::nil(), "HQ".into())),
            host: Some((Uuid::nil(), Zeroizing::new("Hana Host".into()))),
            times: vec![("checked_in_at", DateTime::UNIX_EPOCH)],
            visitor: Some((Zeroizing::new("<!channel> Eve".into()), None)),
        }
    }

    #[test]
    fn speaks_each_kind() {
        let s = standard(WebhookEvent::VisitCheckedIn, DateTime::UNIX_EPOCH, &facts());
        assert_eq!(s["type"], "visit.checked_in");
        assert_eq!(s["data"]["host"]["name"], "Hana Host");
        assert_eq!(s["data"]["checked_in_at"], "1970-01-01T00:00:00Z");
        let slack = slack(WebhookEvent::VisitCheckedIn, &facts(), Language::Fr);
        assert_eq!(slack["blocks"][0]["text"]["text"], "Arrivée d'un visiteur");
        let text = slack["blocks"][1]["fields"][0]["text"]
            .as_str()
            .unwrap_or_default();
        assert!(text.contains("&lt;!channel&gt;"), "{text}");
        let teams = teams(WebhookEvent::VisitHeld, &facts(), Language::En);
        assert_eq!(teams["attachments"][0]["content"]["version"], "1.4");
        assert_eq!(
            teams["attachments"][0]["content"]["body"][1]["facts"][0]["title"],
            "Visitor"
        );
    }
}
