//! Sending messages with lettre over rustls, a batch of them over one connection. TLS is never optional: implicit TLS, or STARTTLS
//! that must succeed before anything else is sent (`Tls::Required`); the certificate is verified
//! against the public roots plus the tenant's own CA if it gave one.

use std::time::Duration;

use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, MultiPart},
    transport::smtp::{
        PoolConfig,
        authentication::Credentials,
        client::{Certificate, Tls, TlsParameters},
    },
};
use vestibule_shared::dto::mail::SmtpSecurity;

use super::compose::Content;
use crate::store::SmtpAccount;

/// Why a send failed, in words that carry no personal data (SMTP replies can echo addresses, so
/// only their code is kept), and whether trying again can help.
#[derive(Debug, Clone)]
pub struct SendError {
    pub reason: String,
    pub permanent: bool,
}

impl SendError {
    fn config(reason: impl Into<String>) -> SendError {
        SendError {
            reason: reason.into(),
            permanent: true,
        }
    }
}

/// Builds the MIME message: text and HTML alternatives, with our Message-ID.
pub fn message(
    account: &SmtpAccount,
    to: &str,
    message_id: &str,
    content: Content,
) -> Result<Message, SendError> {
    let c = &account.config;
    let from = Mailbox::new(
        c.from_name.clone(),
        c.from_address
            .parse()
            .map_err(|_| SendError::config("the sender address is not valid"))?,
    );
    let to: Mailbox = to
        .parse()
        .map_err(|_| SendError::config("the host's email address is not valid"))?;
    Message::builder()
        .from(from)
        .to(to)
        .subject(content.subject)
        .message_id(Some(message_id.to_owned()))
        .multipart(MultiPart::alternative_plain_html(
            content.text,
            content.html,
        ))
        .map_err(|_| SendError::config("the message could not be built"))
}

/// A connection to the tenant's SMTP server, opened at the first send and kept for the next ones
/// (one TLS handshake and one login for a whole batch of messages).
pub type Transport = AsyncSmtpTransport<Tokio1Executor>;

/// The transport for the tenant's SMTP server, each exchange bounded by `timeout`.
pub fn transport(account: &SmtpAccount, timeout: Duration) -> Result<Transport, SendError> {
    let c = &account.config;
    let mut tls = TlsParameters::builder(c.host.clone());
    if let Some(pem) = &c.ca_pem {
        let ca = Certificate::from_pem(pem.as_bytes())
            .map_err(|_| SendError::config("the SMTP CA certificate does not parse"))?;
        tls = tls.add_root_certificate(ca);
    }
    let tls = tls
        .build_rustls()
        .map_err(|e| SendError::config(format!("TLS settings: {e}")))?;
    let tls = match c.security {
        SmtpSecurity::Tls => Tls::Wrapper(tls),
        SmtpSecurity::Starttls => Tls::Required(tls),
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::relay(&c.host)
        .map_err(|e| SendError::config(format!("SMTP settings: {e}")))?
        .port(c.port)
        .tls(tls)
        .timeout(Some(timeout))
        .pool_config(PoolConfig::new().max_size(1));
    if let (Some(user), Some(password)) = (&c.username, &account.password) {
        builder = builder.credentials(Credentials::new(user.clone(), password.to_string()));
    }
    Ok(builder.build())
}

/// Sends `message` over `transport`.
pub async fn send(transport: &Transport, message: Message) -> Result<(), SendError> {
    transport
        .send(message)
        .await
        .map(|_| ())
        .map_err(|e| classify(&e))
}

fn classify(e: &lettre::transport::smtp::Error) -> SendError {
    let code = e
        .status()
        .map(|c| format!(" (SMTP {c})"))
        .unwrap_or_default();
    if let Some(tls) = rustls_error(e) {
        // rustls' own words (unknown issuer, name mismatch, ...): no personal data in them.
        return SendError {
            reason: format!("TLS with the SMTP server failed: {tls}"),
            permanent: false,
        };
    }
    if e.is_permanent() {
        return SendError {
            reason: format!("the SMTP server refused the message{code}"),
            permanent: true,
        };
    }
    if e.is_transient() {
        return SendError {
            reason: format!("the SMTP server deferred the message{code}"),
            permanent: false,
        };
    }
    if e.is_timeout() {
        return SendError {
            reason: "the SMTP server did not answer in time".into(),
            permanent: false,
        };
    }
    if e.is_client() || e.is_tls() {
        // lettre's own messages, such as a server that does not offer STARTTLS.
        return SendError {
            reason: format!("SMTP: {e}"),
            permanent: false,
        };
    }
    SendError {
        reason: "the SMTP server could not be reached".into(),
        permanent: false,
    }
}

/// The rustls error behind a failed connection, if that is what it was (io errors hide it).
fn rustls_error<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(r) = err.downcast_ref::<rustls::Error>() {
            return Some(r);
        }
        if let Some(r) = err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|i| i.downcast_ref::<rustls::Error>())
        {
            return Some(r);
        }
        cur = err.source();
    }
    None
}
