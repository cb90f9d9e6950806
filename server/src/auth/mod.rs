//! Credentials: bearer tokens and enrollment codes ([`token`]), Argon2id for passwords and PINs
//! ([`password`]), and the axum extractors that turn a request's headers into a caller ([`caller`]).

pub mod caller;
pub mod password;
pub mod token;

pub use caller::{Admin, Desk, Kiosk, Operator, Override, RouteScopes, Staff};
