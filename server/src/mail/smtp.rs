//! Sending messages with lettre over rustls, a batch of them over one connection ([`Session`]).
//! TLS is never optional: implicit TLS, or STARTTLS that must succeed before anything else is sent
//! (`Tls::Required`); the certificate is verified against the public roots plus the tenant's own
//! CA if it gave one.

use std::{
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};

use lettre::{
    Message,
    message::{Mailbox, MultiPart, SinglePart, header::ContentType},
    transport::smtp::{
        authentication::{Credentials, DEFAULT_MECHANISMS},
        client::{AsyncSmtpConnection, AsyncTokioStream, Certificate, TlsParameters},
        extension::ClientId,
    },
};
use rustls::{
    ClientConfig,
    pki_types::{CertificateDer, ServerName, pem::PemObject},
};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::TcpStream,
};
use tokio_rustls::TlsConnector;
use vestibule_shared::dto::mail::SmtpSecurity;

use super::compose::{Attachment, Content};
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

    fn transient(reason: impl Into<String>) -> SendError {
        SendError {
            reason: reason.into(),
            permanent: false,
        }
    }

    fn unreachable() -> SendError {
        SendError::transient("the SMTP server could not be reached")
    }

    fn timed_out() -> SendError {
        SendError::transient("the SMTP server did not answer in time")
    }

    /// rustls' own words (unknown issuer, name mismatch, ...): no personal data in them.
    fn tls(e: &rustls::Error) -> SendError {
        SendError::transient(format!("TLS with the SMTP server failed: {e}"))
    }
}

/// Builds the MIME message to `to` (one address, or several for the desk's alerts): text and
/// HTML alternatives, with our Message-ID.
pub fn message(
    account: &SmtpAccount,
    to: &[&str],
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
    let body = MultiPart::alternative_plain_html(content.text, content.html);
    let (inline, files): (Vec<_>, Vec<_>) = content
        .attachments
        .into_iter()
        .partition(|a| a.inline_id.is_some());
    let part = |a: Attachment| -> Result<SinglePart, SendError> {
        let kind = ContentType::parse(a.content_type)
            .map_err(|_| SendError::config("an attachment's type is not valid"))?;
        Ok(match a.inline_id {
            Some(id) => lettre::message::Attachment::new_inline(id).body(a.body, kind),
            None => lettre::message::Attachment::new(a.filename).body(a.body, kind),
        })
    };
    let body = if inline.is_empty() {
        body
    } else {
        inline
            .into_iter()
            .try_fold(MultiPart::related().multipart(body), |related, a| {
                Ok::<_, SendError>(related.singlepart(part(a)?))
            })?
    };
    let body = if files.is_empty() {
        body
    } else {
        files
            .into_iter()
            .try_fold(MultiPart::mixed().multipart(body), |mixed, a| {
                Ok::<_, SendError>(mixed.singlepart(part(a)?))
            })?
    };
    let mut builder = Message::builder().from(from);
    for address in to {
        let mailbox: Mailbox = address
            .parse()
            .map_err(|_| SendError::config("the recipient's email address is not valid"))?;
        builder = builder.to(mailbox);
    }
    builder
        .subject(content.subject)
        .message_id(Some(message_id.to_owned()))
        .multipart(body)
        .map_err(|_| SendError::config("the message could not be built"))
}

/// A session with the tenant's SMTP server: one TCP connection, one TLS handshake and one login
/// for a whole batch of messages, opened at the first send. The socket has `TCP_NODELAY`:
/// lettre writes a message's body and its closing `.` separately, and with Nagle's algorithm
/// that last small write waits for the server's delayed ACK (about 40 ms on Linux), which made
/// every email take 40 ms whatever the server's speed. Implicit TLS is rustls over the socket
/// (`tokio-rustls`, the roots lettre uses plus the tenant's CA); STARTTLS is lettre's, required
/// before anything else is sent. Every exchange (connecting, one message) is bounded by `timeout`.
pub struct Session<'a> {
    account: &'a SmtpAccount,
    timeout: Duration,
    conn: Option<AsyncSmtpConnection>,
    /// Why connecting failed: the rest of the batch fails the same way without trying again.
    down: Option<SendError>,
}

impl<'a> Session<'a> {
    pub fn new(account: &'a SmtpAccount, timeout: Duration) -> Session<'a> {
        Session {
            account,
            timeout,
            conn: None,
            down: None,
        }
    }

    /// Sends `message`, connecting first if no connection is open.
    pub async fn send(&mut self, message: Message) -> Result<(), SendError> {
        if let Some(e) = &self.down {
            return Err(e.clone());
        }
        let mut conn = match self.conn.take() {
            Some(conn) => conn,
            None => match timeout(self.timeout, connect(self.account)).await {
                Ok(Ok(conn)) => conn,
                Ok(Err(e)) | Err(e) => {
                    self.down = Some(e.clone());
                    return Err(e);
                }
            },
        };
        let sent = timeout(self.timeout, async {
            conn.send(message.envelope(), &message.formatted())
                .await
                .map_err(|e| classify(&e))
        })
        .await
        .and_then(|r| r);
        if !conn.has_broken() && sent.is_ok() {
            self.conn = Some(conn);
        }
        sent.map(|_| ())
    }

    /// Says goodbye to the server, if a connection is open.
    pub async fn close(mut self) {
        if let Some(mut conn) = self.conn.take() {
            let _ = timeout(self.timeout, async {
                conn.quit().await.map_err(|e| classify(&e))
            })
            .await;
        }
    }
}

/// `work` within `limit`; running out of time is a transient failure.
async fn timeout<T>(
    limit: Duration,
    work: impl Future<Output = Result<T, SendError>>,
) -> Result<Result<T, SendError>, SendError> {
    tokio::time::timeout(limit, work)
        .await
        .map_err(|_| SendError::timed_out())
}

/// Opens a connection to the tenant's SMTP server: TCP with `TCP_NODELAY`, TLS (implicit, or
/// STARTTLS required before anything else), EHLO, and the login if the account has one.
async fn connect(account: &SmtpAccount) -> Result<AsyncSmtpConnection, SendError> {
    let c = &account.config;
    let unreachable = |_| SendError::unreachable();
    let tcp = TcpStream::connect((c.host.as_str(), c.port))
        .await
        .map_err(unreachable)?;
    tcp.set_nodelay(true).map_err(unreachable)?;
    let hello = ClientId::default();
    let mut conn = match c.security {
        SmtpSecurity::Tls => {
            let name = ServerName::try_from(c.host.clone())
                .map_err(|_| SendError::config("the SMTP host is not a valid server name"))?;
            let tls = TlsConnector::from(client_config(account)?)
                .connect(name, tcp)
                .await
                .map_err(|e| {
                    rustls_error(&e).map_or_else(SendError::unreachable, SendError::tls)
                })?;
            AsyncSmtpConnection::connect_with_transport(Box::new(Implicit(tls)), &hello).await
        }
        SmtpSecurity::Starttls => {
            let mut conn = AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &hello).await;
            if let Ok(conn) = &mut conn {
                conn.starttls(tls_parameters(account)?, &hello)
                    .await
                    .map_err(|e| classify(&e))?;
            }
            conn
        }
    }
    .map_err(|e| classify(&e))?;
    if let (Some(user), Some(password)) = (&c.username, &account.password) {
        let credentials = Credentials::new(user.clone(), password.to_string());
        conn.auth(DEFAULT_MECHANISMS, &credentials)
            .await
            .map_err(|e| classify(&e))?;
    }
    Ok(conn)
}

/// The tenant's CA certificates, if it gave one.
fn tenant_roots(account: &SmtpAccount) -> Result<Vec<CertificateDer<'static>>, SendError> {
    let Some(pem) = &account.config.ca_pem else {
        return Ok(Vec::new());
    };
    CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| SendError::config("the SMTP CA certificate does not parse"))
}

/// lettre's TLS settings for STARTTLS: the public roots plus the tenant's CA.
fn tls_parameters(account: &SmtpAccount) -> Result<TlsParameters, SendError> {
    let mut tls = TlsParameters::builder(account.config.host.clone());
    for der in tenant_roots(account)? {
        let ca = Certificate::from_der(der.to_vec())
            .map_err(|_| SendError::config("the SMTP CA certificate does not parse"))?;
        tls = tls.add_root_certificate(ca);
    }
    tls.build_rustls()
        .map_err(|e| SendError::config(format!("TLS settings: {e}")))
}

/// The same for implicit TLS, as a rustls client configuration ([`crate::tls::client_config`]:
/// the public roots lettre trusts, `webpki-roots`, plus the tenant's CA).
fn client_config(account: &SmtpAccount) -> Result<Arc<ClientConfig>, SendError> {
    crate::tls::client_config(tenant_roots(account)?)
        .map(Arc::new)
        .map_err(|_| SendError::config("the SMTP CA certificate is not usable"))
}

/// An implicit-TLS connection, as lettre takes an existing stream.
#[derive(Debug)]
struct Implicit(tokio_rustls::client::TlsStream<TcpStream>);

impl AsyncTokioStream for Implicit {
    fn peer_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.0.get_ref().0.peer_addr()
    }
}

impl AsyncRead for Implicit {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for Implicit {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

fn classify(e: &lettre::transport::smtp::Error) -> SendError {
    let code = e
        .status()
        .map(|c| format!(" (SMTP {c})"))
        .unwrap_or_default();
    if let Some(tls) = rustls_error(e) {
        return SendError::tls(tls);
    }
    if e.is_permanent() {
        return SendError {
            reason: format!("the SMTP server refused the message{code}"),
            permanent: true,
        };
    }
    if e.is_transient() {
        return SendError::transient(format!("the SMTP server deferred the message{code}"));
    }
    if e.is_timeout() {
        return SendError::timed_out();
    }
    if e.is_client() || e.is_tls() {
        // lettre's own messages, such as a server that does not offer STARTTLS.
        return SendError::transient(format!("SMTP: {e}"));
    }
    SendError::unreachable()
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
