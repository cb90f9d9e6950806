//! The evacuation roll call (`evacuations`, `evacuation_people`): starting one copies, in one
//! statement, every visit on site at the site (a visit waiting for approval is in the building
//! too) as `unaccounted`; marks change one person's status; closing ends it. The people's details
//! are read from their visits (sealed there, opened on reading), so the roll call copies nothing
//! personal, and a visitor who checks out during it stays on it with the time they left.

use chrono::{DateTime, Utc};
use uuid::Uuid;
use vestibule_shared::dto::evacuations::RollStatus;

use super::{TenantTx, VisitRow};
use crate::{error::Error, ids::new_id};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EvacuationRow {
    pub id: Uuid,
    pub site_id: Uuid,
    pub started_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
}

/// A person of a roll call: their visit and their mark.
#[derive(Debug, Clone)]
pub struct RollRow {
    pub visit: VisitRow,
    pub status: RollStatus,
    pub marked_at: Option<DateTime<Utc>>,
}

impl TenantTx {
    /// Starts a roll call at `site`; `Conflict` when one is open there already.
    pub async fn start_evacuation(&mut self, site: Uuid) -> Result<EvacuationRow, Error> {
        const OPEN: &str = "SELECT id, site_id, started_at, closed_at FROM evacuations \
                            WHERE tenant_id = $1 AND site_id = $2 AND closed_at IS NULL";
        if self
            .fetch_optional::<EvacuationRow>(OPEN, (site,))
            .await?
            .is_some()
        {
            return Err(Error::Conflict(
                "an evacuation of this site is already under way",
            ));
        }
        let row = EvacuationRow {
            id: new_id(),
            site_id: site,
            started_at: self.now(),
            closed_at: None,
        };
        self.execute(
            "INSERT INTO evacuations (tenant_id, id, site_id, started_at) VALUES ($1, $2, $3, $4)",
            (row.id, site, row.started_at),
        )
        .await?;
        self.execute(
            "INSERT INTO evacuation_people (tenant_id, evacuation_id, visit_id, status) \
             SELECT tenant_id, $2, id, 'unaccounted' FROM visits \
             WHERE tenant_id = $1 AND site_id = $3 AND status = 'on_site'",
            (row.id, site),
        )
        .await?;
        Ok(row)
    }

    pub async fn evacuation(&mut self, id: Uuid) -> Result<Option<EvacuationRow>, Error> {
        self.fetch_optional(
            "SELECT id, site_id, started_at, closed_at FROM evacuations WHERE tenant_id = $1 AND id = $2",
            (id,),
        )
        .await
    }

    /// The latest roll calls, newest first.
    pub async fn evacuations(&mut self) -> Result<Vec<EvacuationRow>, Error> {
        self.fetch_all(
            "SELECT id, site_id, started_at, closed_at FROM evacuations WHERE tenant_id = $1 \
             ORDER BY started_at DESC, id DESC LIMIT 50",
            (),
        )
        .await
    }

    /// The people of roll call `id`, their visits opened.
    pub async fn roll_call(&mut self, id: Uuid) -> Result<Vec<RollRow>, Error> {
        let marks: Vec<(Uuid, String, Option<DateTime<Utc>>)> = self
            .fetch_all(
                "SELECT visit_id, status, marked_at FROM evacuation_people \
                 WHERE tenant_id = $1 AND evacuation_id = $2 ORDER BY visit_id",
                (id,),
            )
            .await?;
        let mut people = Vec::with_capacity(marks.len());
        for (visit_id, status, marked_at) in marks {
            if let Some(visit) = self.visit(visit_id).await? {
                people.push(RollRow {
                    visit,
                    status: RollStatus::from_stored(&status),
                    marked_at,
                });
            }
        }
        Ok(people)
    }

    /// The marks of roll call `id` without opening anyone's visit: (status, how many).
    pub async fn roll_marks(&mut self, id: Uuid) -> Result<Vec<(RollStatus, i64)>, Error> {
        let rows: Vec<(String, i64)> = self
            .fetch_all(
                "SELECT status, COUNT(*) FROM evacuation_people \
                 WHERE tenant_id = $1 AND evacuation_id = $2 GROUP BY status",
                (id,),
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|(s, n)| (RollStatus::from_stored(&s), n))
            .collect())
    }

    /// Marks a person of an open roll call; `false` when they are not on it.
    pub async fn mark_evacuee(
        &mut self,
        id: Uuid,
        visit: Uuid,
        status: RollStatus,
    ) -> Result<bool, Error> {
        let now = self.now();
        Ok(self
            .execute(
                "UPDATE evacuation_people SET status = $4, marked_at = $5 \
                 WHERE tenant_id = $1 AND evacuation_id = $2 AND visit_id = $3",
                (id, visit, status.as_str(), now),
            )
            .await?
            > 0)
    }

    pub async fn close_evacuation(&mut self, id: Uuid) -> Result<(), Error> {
        let now = self.now();
        self.execute(
            "UPDATE evacuations SET closed_at = $3 WHERE tenant_id = $1 AND id = $2 AND closed_at IS NULL",
            (id, now),
        )
        .await?;
        Ok(())
    }
}
