//! The emails of an invitation, in the tenant's language: to the invited visitor (when and where,
//! their host, the site's arrival instructions, the code in text and as a QR code, an inline PNG,
//! and an `.ics` calendar event),
//! and the host's confirmation that it went out. Every value in HTML is escaped.

use chrono::{DateTime, Duration, Utc};
use icalendar::{Calendar, Component, EventLike};
use uuid::Uuid;
use vestibule_shared::types::Language;

use super::compose::{Attachment, Content, escape};

/// What an invitation's emails are made of.
pub struct Invitation<'a> {
    pub id: Uuid,
    pub visitor: &'a str,
    pub host: &'a str,
    pub site: &'a str,
    /// The site's arrival instructions, if it has some.
    pub arrival: Option<&'a str>,
    /// The expected time as the site reads it.
    pub when: &'a str,
    pub expected_at: DateTime<Utc>,
    /// The code, grouped as people type it.
    pub code: &'a str,
}

/// The content id of the QR code's image in the HTML part.
const QR_CID: &str = "invitation-code";

/// The email to the invited visitor.
pub fn to_visitor(lang: Language, f: &Invitation<'_>) -> Result<Content, String> {
    let (subject, lead, arrival_label, code_label, how, footer) = match lang {
        Language::En => (
            format!("Your visit to {} on {}", f.site, f.when),
            format!("{} has invited you to {} on {}.", f.host, f.site, f.when),
            "On arrival",
            "Your invitation code",
            "At the reception tablet, choose \"I have an invitation\" and scan the QR code or type the code.",
            "Sent by Vestibule, the visitor desk of your host.",
        ),
        Language::Fr => (
            format!("Votre visite à {} le {}", f.site, f.when),
            format!("{} vous invite à {} le {}.", f.host, f.site, f.when),
            "À votre arrivée",
            "Votre code d'invitation",
            "À la tablette de l'accueil, choisissez « J'ai une invitation » et présentez le QR code ou tapez le code.",
            "Envoyé par Vestibule, l'accueil visiteurs de votre hôte.",
        ),
    };
    let arrival_text = f
        .arrival
        .map(|a| format!("{arrival_label}: {a}\n\n"))
        .unwrap_or_default();
    let arrival_html = f
        .arrival
        .map(|a| format!("<p>{}: {}</p>", escape(arrival_label), escape(a)))
        .unwrap_or_default();
    let text = format!(
        "{} {},\n\n{lead}\n\n{arrival_text}{code_label}: {}\n\n{how}\n\n-- \n{footer}\n",
        hello(lang),
        f.visitor,
        f.code
    );
    let html = format!(
        "<!DOCTYPE html><html lang=\"{l}\"><head><meta charset=\"utf-8\"><title>{title}</title></head><body>\
         <p>{hello} {visitor},</p><p><strong>{lead}</strong></p>{arrival_html}\
         <p>{code_label}: <strong style=\"font-size:1.5em;letter-spacing:0.1em\">{code}</strong></p>\
         <p><img src=\"cid:{QR_CID}\" width=\"240\" height=\"240\" alt=\"{code_label}: {code}\"></p>\
         <p>{how}</p><p><small>{footer}</small></p></body></html>",
        l = lang.as_str(),
        title = escape(&subject),
        hello = hello(lang),
        visitor = escape(f.visitor),
        lead = escape(&lead),
        code_label = escape(code_label),
        code = escape(f.code),
        how = escape(how),
        footer = escape(footer),
    );
    Ok(Content {
        subject,
        text,
        html,
        attachments: vec![
            Attachment {
                filename: "invitation-code.png".into(),
                content_type: "image/png",
                inline_id: Some(QR_CID.into()),
                body: qr_png(f.code)?,
            },
            Attachment {
                filename: "invitation.ics".into(),
                content_type: "text/calendar; charset=utf-8; method=PUBLISH",
                inline_id: None,
                body: calendar(lang, f).into_bytes(),
            },
        ],
    })
}

/// The host's confirmation that their visitor was invited.
pub fn to_host(lang: Language, f: &Invitation<'_>) -> Content {
    let (subject, lead, footer) = match lang {
        Language::En => (
            format!("Invitation sent to {}", f.visitor),
            format!(
                "{} is invited to {} on {}; the invitation with its code went out by email.",
                f.visitor, f.site, f.when
            ),
            "Sent by Vestibule, your visitor desk.",
        ),
        Language::Fr => (
            format!("Invitation envoyée à {}", f.visitor),
            format!(
                "{} est invité(e) à {} le {} ; l'invitation et son code sont partis par e-mail.",
                f.visitor, f.site, f.when
            ),
            "Envoyé par Vestibule, votre accueil visiteurs.",
        ),
    };
    let text = format!("{} {},\n\n{lead}\n\n-- \n{footer}\n", hello(lang), f.host);
    let html = format!(
        "<!DOCTYPE html><html lang=\"{l}\"><head><meta charset=\"utf-8\"><title>{title}</title></head><body>\
         <p>{hello} {host},</p><p>{lead}</p><p><small>{footer}</small></p></body></html>",
        l = lang.as_str(),
        title = escape(&subject),
        hello = hello(lang),
        host = escape(f.host),
        lead = escape(&lead),
        footer = escape(footer),
    );
    Content {
        subject,
        text,
        html,
        attachments: Vec::new(),
    }
}

/// The greeting a visitor's email opens with.
pub(super) fn hello(lang: Language) -> &'static str {
    match lang {
        Language::En => "Hello",
        Language::Fr => "Bonjour",
    }
}

/// The visit as a calendar event (an hour from the expected time), with the code in its text.
fn calendar(lang: Language, f: &Invitation<'_>) -> String {
    let (summary, description) = match lang {
        Language::En => (
            format!("Visit to {} ({})", f.site, f.host),
            format!("Your invitation code: {}", f.code),
        ),
        Language::Fr => (
            format!("Visite à {} ({})", f.site, f.host),
            format!("Votre code d'invitation : {}", f.code),
        ),
    };
    let description = match f.arrival {
        Some(a) => format!("{description}\n{a}"),
        None => description,
    };
    let event = icalendar::Event::new()
        .uid(&format!("{}@vestibule", f.id))
        .summary(&summary)
        .description(&description)
        .location(f.site)
        .starts(f.expected_at)
        .ends(f.expected_at + Duration::hours(1))
        .done();
    Calendar::new().push(event).done().to_string()
}

/// The QR code of `text` as a PNG: 8 pixels a module, with the standard quiet zone of 4 modules.
pub fn qr_png(text: &str) -> Result<Vec<u8>, String> {
    const SCALE: usize = 8;
    const QUIET: usize = 4;
    let code = qrcode::QrCode::new(text.as_bytes()).map_err(|e| e.to_string())?;
    let n = code.width();
    let side = (n + 2 * QUIET) * SCALE;
    let mut pixels = vec![255u8; side * side];
    for (i, color) in code.to_colors().iter().enumerate() {
        if *color == qrcode::Color::Dark {
            let (x, y) = ((i % n + QUIET) * SCALE, (i / n + QUIET) * SCALE);
            for row in y..y + SCALE {
                pixels[row * side + x..row * side + x + SCALE].fill(0);
            }
        }
    }
    let side = u32::try_from(side).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, side, side);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
        writer
            .write_image_data(&pixels)
            .map_err(|e| e.to_string())?;
        writer.finish().map_err(|e| e.to_string())?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> Invitation<'static> {
        Invitation {
            id: Uuid::nil(),
            visitor: "Ada <b>",
            host: "Harriet",
            site: "HQ",
            arrival: Some("Gate B & badge"),
            when: "2026-12-04 14:30",
            expected_at: DateTime::UNIX_EPOCH,
            code: "ABCDE-FGHJK",
        }
    }

    #[test]
    fn the_visitor_gets_the_code_its_qr_and_an_event() {
        let c = to_visitor(Language::En, &facts()).expect("content");
        assert!(c.text.contains("ABCDE-FGHJK"), "{}", c.text);
        assert!(c.html.contains("cid:invitation-code"));
        assert!(!c.html.contains("<b>"), "escaped: {}", c.html);
        assert!(c.text.contains("On arrival: Gate B & badge"), "{}", c.text);
        assert!(c.html.contains("Gate B &amp; badge"), "{}", c.html);
        assert!(c.attachments[0].body.starts_with(b"\x89PNG"));
        let ics = String::from_utf8_lossy(&c.attachments[1].body).into_owned();
        assert!(
            ics.contains("BEGIN:VEVENT") && ics.contains("ABCDE-FGHJK"),
            "{ics}"
        );
        let fr = to_host(Language::Fr, &facts());
        assert!(fr.subject.starts_with("Invitation envoyée"));
    }
}
