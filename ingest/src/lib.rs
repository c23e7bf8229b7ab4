//! CreatorOS ingest worker: analytics exports uploaded under `imports/<workspaceId>/` become metric items and one
//! import record. The handler and its Lambda `main` are the next piece of work; the crate exists so the workspace
//! layout and the SAM template (`IngestFunction`, binary `creatoros-ingest`) are fixed from the start.
