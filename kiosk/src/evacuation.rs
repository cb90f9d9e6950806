//! Starting an evacuation from the tablet, for the receptionist in override mode: the server
//! snapshots everyone on site at the kiosk's site and emails the site's emergency contacts the
//! roll call's link. The kiosk learns only the roll call's id and how many people are on it.

use reqwest::Method;
use tauri::State;
use vestibule_shared::dto::evacuations::EvacuationStarted;

use crate::{commands::as_override, error::Error, state::Kiosk};

#[tauri::command]
pub async fn override_start_evacuation(
    kiosk: State<'_, Kiosk>,
) -> Result<EvacuationStarted, Error> {
    as_override(&kiosk, async |client, who| {
        client
            .send(
                Method::POST,
                "/api/v1/kiosk/override/evacuations",
                who,
                None::<&()>,
                None,
            )
            .await
    })
    .await
}
