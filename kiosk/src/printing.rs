//! Badge printing at the kiosk. After a check-in the UI asks for the badge to be printed: the
//! kiosk lists its site's printers (fallbacks last), fetches the badge the server renders for the
//! first of them into memory, sends it (a PDF over IPP, or a Brother QL's raster job on its raw
//! socket) and drops it; when a printer fails, the next is tried. Nothing is written to disk: no
//! spool file, no cache. Printing never holds up or undoes a check-in: the UI shows the outcome.

use reqwest::Method;
use tauri::State;
use uuid::Uuid;
use vestibule_shared::dto::badges::{KioskPrinter, PrintOutcome};
use zeroize::Zeroizing;

use crate::{
    client::As,
    commands::{as_override, device_send, parse_id},
    contract::VisitArgs,
    error::Error,
    state::Kiosk,
};

/// Prints the badge of a visit this kiosk just checked in.
#[tauri::command]
pub async fn print_badge(kiosk: State<'_, Kiosk>, args: VisitArgs) -> Result<PrintOutcome, Error> {
    let visit = parse_id(&args.visit_id, "visit")?;
    print(&kiosk, Who::Device, visit).await
}

/// Prints a visit's badge again, for the receptionist in override mode.
#[tauri::command]
pub async fn override_print_badge(
    kiosk: State<'_, Kiosk>,
    args: VisitArgs,
) -> Result<PrintOutcome, Error> {
    let visit = parse_id(&args.visit_id, "visit")?;
    print(&kiosk, Who::Override, visit).await
}

/// Whose badge route: the kiosk's own (its fresh check-in) or the receptionist's (a reprint).
#[derive(Clone, Copy)]
enum Who {
    Device,
    Override,
}

/// The badge of `visit`, rendered for `printer`, in memory.
async fn fetch(
    kiosk: &Kiosk,
    who: Who,
    visit: Uuid,
    printer: Uuid,
) -> Result<Zeroizing<Vec<u8>>, Error> {
    match who {
        Who::Device => {
            let path = format!("/api/v1/kiosk/visits/{visit}/badge?printer_id={printer}");
            let s = kiosk.session().await?;
            s.client.fetch(&path, As::Device(&s.device)).await
        }
        Who::Override => {
            let path = format!("/api/v1/kiosk/override/visits/{visit}/badge?printer_id={printer}");
            as_override(kiosk, async |client, who| client.fetch(&path, who).await).await
        }
    }
}

/// Tries the site's printers in order.
async fn print(kiosk: &Kiosk, who: Who, visit: Uuid) -> Result<PrintOutcome, Error> {
    let printers: Vec<KioskPrinter> = device_send(
        kiosk,
        Method::GET,
        "/api/v1/kiosk/printers",
        None::<&()>,
        None,
    )
    .await?;
    if printers.is_empty() {
        return Ok(PrintOutcome::NoPrinter);
    }
    for printer in &printers {
        let badge = match fetch(kiosk, who, visit, printer.id).await {
            Ok(b) => b,
            // The visit is not this kiosk's to print (any more): no printer will do better.
            Err(Error::NotFound) => return Ok(PrintOutcome::Unavailable),
            Err(e) => return Err(e),
        };
        match vestibule_print::send(&printer.url, badge).await {
            Ok(()) => return Ok(PrintOutcome::Printed),
            Err(e) => {
                tracing::warn!(printer = %printer.id, error = %e, "a printer did not take the badge")
            }
        }
    }
    Ok(PrintOutcome::Unavailable)
}
