//! Sending a badge to a label printer, used by the kiosk (after a check-in, and a reprint in
//! override mode) and by the server (the console's test print and reprint). IPP printers
//! (`ipp://`, `ipps://`: a CUPS queue or an IPP Everywhere printer) get a PDF in a Print-Job
//! request; a Brother QL (`socket://`) gets its raster job on its raw socket. The bytes are sent
//! from memory and never written anywhere. `ipps://` verifies the printer's certificate against
//! the system's roots; no verification is ever skipped.

use std::{io::Read as _, sync::Arc, time::Duration};

use ipp::prelude::{IppOperationBuilder, IppPayload, StatusCode, Uri};
use ipp::{operation::IppOperation as _, parser::IppParser};
use tokio::{io::AsyncWriteExt as _, net::TcpStream, time::timeout};
use vestibule_shared::{dto::badges::PrinterKind, types::PrinterUrl};
use zeroize::Zeroizing;

/// How long connecting to a printer may take (a printer that is off fails fast).
const CONNECT: Duration = Duration::from_secs(3);
/// How long a whole job may take.
const JOB: Duration = Duration::from_secs(20);

/// Why a printer did not take a job. Never carries the document.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the printer does not answer")]
    Unreachable,
    #[error("the printer refused the job ({0})")]
    Refused(String),
    #[error("the printer is busy")]
    Busy,
    #[error("the printer's TLS settings: {0}")]
    Tls(String),
}

/// What a printer is sent for one badge.
pub fn format_for(url: &PrinterUrl) -> &'static str {
    match url.kind() {
        PrinterKind::Ipp => "application/pdf",
        PrinterKind::BrotherQl => "application/vnd.brother-ql",
    }
}

/// Sends `document` (a PDF for IPP, a raster job for a Brother QL) to the printer at `url`.
pub async fn send(url: &PrinterUrl, document: Zeroizing<Vec<u8>>) -> Result<(), Error> {
    match url.kind() {
        PrinterKind::BrotherQl => raw_socket(url, &document).await,
        PrinterKind::Ipp => ipp_print_job(url, document).await,
    }
}

/// A raw socket job (port 9100): connect, write, close.
async fn raw_socket(url: &PrinterUrl, document: &[u8]) -> Result<(), Error> {
    let mut stream = timeout(CONNECT, TcpStream::connect(url.socket_address()))
        .await
        .map_err(|_| Error::Unreachable)?
        .map_err(|_| Error::Unreachable)?;
    timeout(JOB, async {
        stream.write_all(document).await?;
        stream.shutdown().await
    })
    .await
    .map_err(|_| Error::Unreachable)?
    .map_err(|_| Error::Unreachable)
}

/// An IPP Print-Job; a printer busy with another job is asked again (every half second, for
/// up to [`JOB`]), as IPP clients do.
async fn ipp_print_job(url: &PrinterUrl, document: Zeroizing<Vec<u8>>) -> Result<(), Error> {
    let started = tokio::time::Instant::now();
    loop {
        match ipp_attempt(url, document.clone()).await {
            Err(Error::Busy) if started.elapsed() < JOB => {
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(Error::Busy) => return Err(Error::Refused("the printer stayed busy".into())),
            other => return other,
        }
    }
}

/// One Print-Job of a PDF, posted over HTTP (`ipp://`) or HTTPS (`ipps://`).
async fn ipp_attempt(url: &PrinterUrl, document: Zeroizing<Vec<u8>>) -> Result<(), Error> {
    let uri: Uri = url
        .as_str()
        .parse()
        .map_err(|_| Error::Refused("bad printer URL".into()))?;
    let operation =
        IppOperationBuilder::print_job(uri, IppPayload::new(std::io::Cursor::new(document)))
            .document_format("application/pdf")
            .job_title("Visitor badge")
            .build()
            .map_err(|e| Error::Refused(e.to_string()))?;
    let mut body = Zeroizing::new(Vec::new());
    operation
        .into_ipp_request()
        .into_read()
        .read_to_end(&mut body)
        .map_err(|e| Error::Refused(e.to_string()))?;
    let response = client()?
        .post(url.http_url())
        .header("content-type", "application/ipp")
        .body(body.to_vec())
        .send()
        .await
        .map_err(|_| Error::Unreachable)?;
    if !response.status().is_success() {
        return Err(Error::Refused(format!(
            "HTTP {}",
            response.status().as_u16()
        )));
    }
    let bytes = response.bytes().await.map_err(|_| Error::Unreachable)?;
    let answer = IppParser::new(std::io::Cursor::new(bytes.to_vec()))
        .parse()
        .map_err(|e| Error::Refused(e.to_string()))?;
    match answer.header().status_code() {
        s if s.is_success() => Ok(()),
        StatusCode::ServerErrorBusy => Err(Error::Busy),
        s => Err(Error::Refused(format!("{s:?}"))),
    }
}

/// An HTTP client for printers: TLS 1.2+ with the ring provider and the system's roots.
fn client() -> Result<reqwest::Client, Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_native_certs::load_native_certs().certs {
        // A system certificate rustls cannot use is skipped, as every client does.
        let _ = roots.add(cert);
    }
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| Error::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .connect_timeout(CONNECT)
        .timeout(JOB)
        .build()
        .map_err(|e| Error::Tls(e.to_string()))
}
