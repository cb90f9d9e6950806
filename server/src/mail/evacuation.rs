//! The email to a site's emergency contacts when an evacuation starts: which site, since when,
//! how many visitors were on site, and the link to the live roll call in the console (the list
//! itself, with names, stays behind the console's sign-in).

use vestibule_shared::types::Language;

use super::compose::{Content, lead_and_link};

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
    lead_and_link(lang, subject, &lead, (f.link, open), footer)
}
