//! The email to a site's emergency contacts when an evacuation starts: which site, since when,
//! how many visitors were on site, and the link to the live roll call in the console (the list
//! itself, with names, stays behind the console's sign-in).

use vestibule_shared::types::Language;

use super::compose::{Content, escape};

/// What the email says.
pub struct EvacuationEmail<'a> {
    pub site: &'a str,
    /// When it started, in the site's time, as people read it.
    pub started: &'a str,
    pub on_site: i64,
    pub link: &'a str,
}

pub fn to_contact(lang: Language, f: &EvacuationEmail<'_>) -> Content {
    let (subject, lead, open, footer) = match lang {
        Language::En => (
            format!("EVACUATION of {}: roll call", f.site),
            format!(
                "An evacuation of {} started at {}. {} visitors were on site. Mark each of them safe or missing in the roll call:",
                f.site, f.started, f.on_site
            ),
            "Open the roll call",
            "Sent by Vestibule to the site's emergency contacts.",
        ),
        Language::Fr => (
            format!("ÉVACUATION de {} : appel", f.site),
            format!(
                "Une évacuation de {} a commencé à {}. {} visiteurs étaient sur place. Indiquez pour chacun s'il est en sécurité ou manquant dans l'appel :",
                f.site, f.started, f.on_site
            ),
            "Ouvrir l'appel",
            "Envoyé par Vestibule aux contacts d'urgence du site.",
        ),
    };
    let text = format!("{lead}\n\n{}\n\n-- \n{footer}\n", f.link);
    let html = format!(
        "<!DOCTYPE html><html lang=\"{l}\"><head><meta charset=\"utf-8\"><title>{title}</title></head><body>\
         <p><strong>{lead}</strong></p><p><a href=\"{url}\">{open}</a></p><p><small>{footer}</small></p></body></html>",
        l = lang.as_str(),
        title = escape(&subject),
        lead = escape(&lead),
        url = escape(f.link),
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
