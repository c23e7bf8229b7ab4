//! CreatorOS insights worker: stream records that change metrics become insights and tasks for each touched
//! (workspace, month). The handler and its Lambda `main` follow the ingest worker; the crate exists so the
//! workspace layout and the SAM template (`InsightsFunction`, binary `creatoros-insights-worker`) are fixed.
