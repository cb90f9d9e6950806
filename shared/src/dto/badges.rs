//! Badges and the label printers that print them: the templates, a site's printers, and what a
//! kiosk learns about them (where to send a badge, never what is on it).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::types::{Label, PrinterUrl};

/// A badge's label stock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum BadgeTemplate {
    /// Brother QL die-cut labels, 62 × 100 mm, 300 dpi.
    #[default]
    #[serde(rename = "brother-62x100")]
    Brother62x100,
    /// DYMO 30256 shipping labels, 59 × 102 mm.
    #[serde(rename = "dymo-30256")]
    Dymo30256,
    /// A6 paper or card, 105 × 148 mm.
    #[serde(rename = "a6")]
    A6,
}

impl BadgeTemplate {
    pub const ALL: [BadgeTemplate; 3] = [Self::Brother62x100, Self::Dymo30256, Self::A6];

    /// Width and height in millimetres (portrait).
    pub fn size_mm(self) -> (f32, f32) {
        match self {
            Self::Brother62x100 => (62.0, 100.0),
            Self::Dymo30256 => (59.0, 102.0),
            Self::A6 => (105.0, 148.0),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Brother62x100 => "brother-62x100",
            Self::Dymo30256 => "dymo-30256",
            Self::A6 => "a6",
        }
    }

    pub fn from_stored(s: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .unwrap_or_default()
    }
}

/// How a printer is reached, from its URL: IPP (`ipp://`, `ipps://`: any CUPS queue or IPP
/// Everywhere printer, sent a PDF) or a Brother QL's raw socket (`socket://host:9100`, sent its
/// raster commands).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum PrinterKind {
    Ipp,
    BrotherQl,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePrinter {
    pub name: Label,
    pub url: PrinterUrl,
    /// A Brother QL prints only `brother-62x100`.
    #[serde(default)]
    pub template: BadgeTemplate,
    /// A fallback printer is tried when the site's other printers fail.
    #[serde(default)]
    pub fallback: bool,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePrinter {
    pub name: Option<Label>,
    pub url: Option<PrinterUrl>,
    pub template: Option<BadgeTemplate>,
    pub fallback: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Printer {
    pub id: Uuid,
    pub site_id: Uuid,
    pub name: String,
    pub url: String,
    pub kind: PrinterKind,
    pub template: BadgeTemplate,
    pub fallback: bool,
    pub created_at: DateTime<Utc>,
}

/// A printer of the kiosk's site, in the order to try them (fallbacks last).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct KioskPrinter {
    pub id: Uuid,
    pub name: String,
    pub url: PrinterUrl,
}

/// Which template to render; the tenant's first printer's, else `brother-62x100`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BadgeQuery {
    #[param(inline)]
    pub template: Option<BadgeTemplate>,
}

/// The badge a kiosk sends to one of its site's printers: rendered for that printer.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct KioskBadgeQuery {
    pub printer_id: Uuid,
}

/// Print a visit's badge again (or a test badge) from the server; without `printer_id`, the
/// site's printers in order, fallbacks last.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrintRequest {
    pub printer_id: Option<Uuid>,
}

/// How a print from the server went: the printer that took the job, or why none did (a printer
/// that is off or refuses is an answer about the printer, not an error of the request).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PrintResult {
    pub printed: bool,
    pub printer_id: Option<Uuid>,
    pub printer_name: Option<String>,
    /// Why no printer took it.
    pub problem: Option<String>,
}

/// How a kiosk's print went, for its screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum PrintOutcome {
    /// A printer took the job.
    Printed,
    /// Every printer of the site failed (or none is set up while printing is expected).
    Unavailable,
    /// The site has no printer: nothing to print.
    NoPrinter,
}

/// The tenant's logo, for badges: a PNG (re-encoded) or an SVG (re-written without scripts,
/// links or external references), at most [`Logo::MAX_BYTES`].
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Logo {
    /// `image/png` or `image/svg+xml`.
    pub content_type: String,
    pub data: crate::types::ImageData,
}

impl Logo {
    pub const MAX_BYTES: usize = 256 * 1024;
}
