//! The host's emails, in the tenant's language: plain text plus HTML (every value escaped). An
//! invitation's emails are in `invitation.rs`.

use vestibule_shared::types::Language;

/// What an email says, before it becomes a MIME message.
#[derive(Debug)]
pub struct Content {
    pub subject: String,
    pub text: String,
    pub html: String,
    pub attachments: Vec<Attachment>,
}

/// A file sent with an email; with `inline_id`, an image the HTML shows (`cid:<inline_id>`).
#[derive(Debug)]
pub struct Attachment {
    pub filename: String,
    pub content_type: &'static str,
    pub inline_id: Option<String>,
    pub body: Vec<u8>,
}

/// The facts an email is made of.
pub struct Facts<'a> {
    pub event: &'a str,
    pub visitor: &'a str,
    pub company: Option<&'a str>,
    pub site: &'a str,
    pub host: &'a str,
    pub purpose: Option<&'a str>,
    pub badge: &'a str,
    /// For `waiting`: how long the visitor has been there.
    pub minutes: i64,
    /// Whether the visitor came with the host's invitation.
    pub invited: bool,
    /// For `approval`: the link that approves or declines the visit.
    pub link: Option<&'a str>,
}

/// The console's "send a test email": says only that the settings work.
pub fn test_message(lang: Language) -> Content {
    let (subject, text) = match lang {
        Language::En => (
            "Vestibule: test email",
            "This test email shows that Vestibule can send your hosts their notifications.",
        ),
        Language::Fr => (
            "Vestibule : e-mail de test",
            "Cet e-mail de test montre que Vestibule peut envoyer leurs notifications à vos hôtes.",
        ),
    };
    Content {
        subject: subject.to_owned(),
        text: format!("{text}\n"),
        html: format!("<p>{text}</p>"),
        attachments: Vec::new(),
    }
}

/// A short email of one bold paragraph (`lead`), a link (`link`, labelled `open`) and a footer:
/// the alerts to staff.
pub fn lead_and_link(
    lang: Language,
    subject: String,
    lead: &str,
    (link, open): (&str, &str),
    footer: &str,
) -> Content {
    let text = format!("{lead}\n\n{link}\n\n-- \n{footer}\n");
    let html = format!(
        "<!DOCTYPE html><html lang=\"{l}\"><head><meta charset=\"utf-8\"><title>{title}</title></head><body>\
         <p><strong>{lead}</strong></p><p><a href=\"{url}\">{open}</a></p><p><small>{footer}</small></p></body></html>",
        l = lang.as_str(),
        title = escape(&subject),
        lead = escape(lead),
        url = escape(link),
        open = escape(open),
        footer = escape(footer),
    );
    Content {
        subject,
        text,
        html,
        attachments: Vec::new(),
    }
}

/// Writes the email for `facts`; `None` for an event this version does not know.
pub fn compose(lang: Language, f: &Facts<'_>) -> Option<Content> {
    let who = match (f.company, lang) {
        (Some(c), Language::En) => format!("{} from {c}", f.visitor),
        (Some(c), Language::Fr) => format!("{} ({c})", f.visitor),
        (None, _) => f.visitor.to_owned(),
    };
    let (subject, lead) = match (f.event, lang) {
        ("check_in", Language::En) if f.invited => (
            format!("Your invited guest {} has arrived at {}", f.visitor, f.site),
            format!(
                "Your invited guest {who} has arrived at {} reception.",
                f.site
            ),
        ),
        ("check_in", Language::Fr) if f.invited => (
            format!("Votre invité(e) {} est arrivé(e) à {}", f.visitor, f.site),
            format!(
                "Votre invité(e) {who} est arrivé(e) à l'accueil de {}.",
                f.site
            ),
        ),
        ("check_in", Language::En) => (
            format!("{} is at {} reception", f.visitor, f.site),
            format!("{who} is at {} reception.", f.site),
        ),
        ("check_in", Language::Fr) => (
            format!("{} vous attend à l'accueil de {}", f.visitor, f.site),
            format!("{who} vous attend à l'accueil de {}.", f.site),
        ),
        ("waiting", Language::En) => (
            format!("{} is still waiting at {} reception", f.visitor, f.site),
            format!(
                "{who} has been waiting at {} reception for {} minutes.",
                f.site, f.minutes
            ),
        ),
        ("waiting", Language::Fr) => (
            format!("{} attend toujours à l'accueil de {}", f.visitor, f.site),
            format!(
                "{who} attend à l'accueil de {} depuis {} minutes.",
                f.site, f.minutes
            ),
        ),
        ("still_on_site", Language::En) => (
            format!("{} is still signed in at {}", f.visitor, f.site),
            format!(
                "{who} is still signed in at {}. Everyone still on site will be signed out automatically soon; if your visitor has left, please check them out.",
                f.site
            ),
        ),
        ("still_on_site", Language::Fr) => (
            format!("{} est toujours enregistré(e) à {}", f.visitor, f.site),
            format!(
                "{who} est toujours enregistré(e) à {}. Toute personne encore présente sera bientôt sortie automatiquement ; si votre visiteur est parti, enregistrez son départ.",
                f.site
            ),
        ),
        ("approval", Language::En) => (
            format!("{} is waiting for your approval at {}", f.visitor, f.site),
            format!(
                "{who} is at {} reception and needs your approval to come in.",
                f.site
            ),
        ),
        ("approval", Language::Fr) => (
            format!(
                "{} attend votre accord à l'accueil de {}",
                f.visitor, f.site
            ),
            format!(
                "{who} est à l'accueil de {} et attend votre accord pour entrer.",
                f.site
            ),
        ),
        ("check_out", Language::En) => (
            format!("{} has left {}", f.visitor, f.site),
            format!("{who} has checked out at {}.", f.site),
        ),
        ("check_out", Language::Fr) => (
            format!("{} a quitté {}", f.visitor, f.site),
            format!("{who} est reparti de {}.", f.site),
        ),
        _ => return None,
    };
    let (hello, purpose_label, badge_label, decide, footer) = match lang {
        Language::En => (
            "Hello",
            "Purpose",
            "Badge",
            "Approve or decline the visit",
            "Sent by Vestibule, your visitor desk.",
        ),
        Language::Fr => (
            "Bonjour",
            "Objet de la visite",
            "Badge",
            "Accepter ou refuser la visite",
            "Envoyé par Vestibule, votre accueil visiteurs.",
        ),
    };
    // A visit waiting for approval has no badge yet: the link takes its place.
    let mut lines = match f.link {
        Some(_) => Vec::new(),
        None => vec![(badge_label, f.badge)],
    };
    if let Some(p) = f.purpose {
        lines.insert(0, (purpose_label, p));
    }
    let mut text = format!("{hello} {},\n\n{lead}\n\n", f.host);
    let mut rows = String::new();
    for (label, value) in &lines {
        text.push_str(&format!("{label}: {value}\n"));
        rows.push_str(&format!(
            "<tr><th align=\"left\">{}</th><td>{}</td></tr>",
            escape(label),
            escape(value)
        ));
    }
    let mut action = String::new();
    if let Some(link) = f.link {
        text.push_str(&format!("\n{decide}: {link}\n"));
        action = format!("<p><a href=\"{}\">{}</a></p>", escape(link), escape(decide));
    }
    text.push_str(&format!("\n-- \n{footer}\n"));
    let html = format!(
        "<!DOCTYPE html><html lang=\"{lang}\"><head><meta charset=\"utf-8\"><title>{title}</title></head><body>\
         <p>{hello} {host},</p><p><strong>{lead}</strong></p><table>{rows}</table>{action}<p><small>{footer}</small></p></body></html>",
        lang = lang.as_str(),
        title = escape(&subject),
        host = escape(f.host),
        lead = escape(&lead),
    );
    Some(Content {
        subject,
        text,
        html,
        attachments: Vec::new(),
    })
}

/// HTML-escapes text for element content and quoted attributes.
pub(super) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(event: &str) -> Facts<'_> {
        Facts {
            event,
            visitor: "Ada <script>",
            company: Some("A&B"),
            site: "HQ",
            host: "Harriet",
            purpose: None,
            badge: "ABCD2345",
            minutes: 15,
            invited: false,
            link: None,
        }
    }

    #[test]
    fn says_who_is_where_in_both_languages() {
        let en = compose(Language::En, &facts("check_in")).expect("known event");
        assert_eq!(en.subject, "Ada <script> is at HQ reception");
        assert!(
            en.text
                .contains("Ada <script> from A&B is at HQ reception."),
            "{}",
            en.text
        );
        let fr = compose(Language::Fr, &facts("waiting")).expect("known event");
        assert!(fr.text.contains("depuis 15 minutes"), "{}", fr.text);
        assert!(compose(Language::En, &facts("check_out")).is_some());
        assert!(compose(Language::En, &facts("unknown")).is_none());
    }

    #[test]
    fn html_escapes_what_visitors_typed() {
        let html = compose(Language::En, &facts("check_in"))
            .expect("known event")
            .html;
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("Ada &lt;script&gt; from A&amp;B"), "{html}");
    }
}
