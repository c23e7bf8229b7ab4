// The creatoros table contract as an ElectroDB service: the app imports this, the pipeline's Rust codec
// (core/model/src/contract) writes and reads the very same items, and `interop.mjs` lets the tests prove it.
//
//   import { makeService } from "@creatoros/table-contract";
//   const { entities } = makeService({ client, table });            // casing "none": the contract
//   const legacy = makeService({ client, table, casing: "default" }); // ElectroDB's lower-cased keys
//
// Keys use ElectroDB's own format ("$creatoros#attr_value", "$entity_1#attr_value..."), no custom templates.
// Casing is "none" on every index: Clerk ids are case-sensitive, and lower-casing would merge two tenants
// whose ids differ only in case. Ids that go into keys must match [A-Za-z0-9_-] (workspaces may also be
// DEMO#<slug>): ElectroDB does not escape "#", so any other character could forge a key segment. The Rust
// side enforces the rule on everything the pipeline writes; the app should enforce it on what it writes.
import { Entity, Service } from "electrodb";

export const SERVICE = "creatoros";
export const PLATFORMS = ["linkedin", "x", "youtube", "rednote"];
export const POST_STATUS = ["idea", "drafting", "review", "scheduled", "published"];
// "retired": the pipeline closed an open task whose insight the data no longer supports (never one a user touched).
export const TASK_STATUS = ["open", "done", "dismissed", "retired"];
export const SEVERITY = ["info", "warning", "critical"];
export const PLAN_STATUS = ["draft", "active", "archived"];
export const IMPORT_STATUS = ["processing", "completed", "partial", "failed"];
export const MEASURE = ["lifetime", "period"];

const text = (required = false) => ({ type: "string", ...(required ? { required: true } : {}) });
const number = (required = false) => ({ type: "number", ...(required ? { required: true } : {}) });
const strings = { type: "list", items: { type: "string" } };

// Index definitions are written once; `keyed` applies the casing to both keys of an index.
function keyed(casing, pk, sk, extra = {}) {
  const cased = casing === "default" ? {} : { casing: "none" };
  return {
    ...extra,
    pk: { field: pk[0], composite: pk[1], ...cased },
    sk: { field: sk[0], composite: sk[1], ...cased },
  };
}

export function schemas(casing = "none") {
  const primary = (pk, sk) => keyed(casing, ["pk", pk], ["sk", sk]);
  const gsi1 = (pk, sk) => keyed(casing, ["gsi1pk", pk], ["gsi1sk", sk], { index: "gsi1" });
  const gsi2 = (pk, sk) => keyed(casing, ["gsi2pk", pk], ["gsi2sk", sk], { index: "gsi2" });
  const model = (entity) => ({ entity, version: "1", service: SERVICE });

  return {
    profile: {
      model: model("profile"),
      attributes: {
        workspaceId: text(true),
        ownerId: text(true),
        displayName: text(),
        niche: text(),
        timezone: text(),
        platforms: strings,
        createdAt: text(),
        updatedAt: text(),
      },
      indexes: {
        byWorkspace: primary(["workspaceId"], []),
        byOwner: gsi1(["ownerId"], ["workspaceId"]),
      },
    },

    plan: {
      model: model("plan"),
      attributes: {
        workspaceId: text(true),
        month: text(true),
        theme: text(),
        goals: strings,
        cadence: {
          type: "map",
          properties: { linkedin: number(), x: number(), youtube: number(), rednote: number() },
        },
        status: { type: PLAN_STATUS },
        notes: text(),
        createdAt: text(),
        updatedAt: text(),
      },
      indexes: {
        byWorkspace: primary(["workspaceId"], ["month"]),
        byMonth: gsi1(["workspaceId", "month"], []),
      },
    },

    post: {
      model: model("post"),
      attributes: {
        workspaceId: text(true),
        postId: text(true),
        status: { type: POST_STATUS, required: true },
        month: text(true),
        publishDate: text(true), // YYYY-MM-DD, or "" for an idea without a date
        title: text(),
        pillar: text(),
        version: number(true),
        tags: { type: "set", items: "string" },
        createdAt: text(),
        updatedAt: text(),
      },
      indexes: {
        byWorkspace: primary(["workspaceId"], ["postId"]),
        byMonth: gsi1(["workspaceId", "month"], ["publishDate", "postId"]),
        byStatus: gsi2(["workspaceId", "status"], ["publishDate", "postId"]),
      },
    },

    variant: {
      model: model("variant"),
      attributes: {
        workspaceId: text(true),
        postId: text(true),
        platform: { type: PLATFORMS, required: true },
        month: text(true),
        status: { type: POST_STATUS },
        hook: text(),
        body: text(),
        hashtags: strings,
        scheduledAt: text(),
        charCount: number(),
        version: number(),
        updatedAt: text(),
        // Where the variant went live: analytics rows that name this id or link count for this post.
        publishedId: text(),
        publishedUrl: text(),
      },
      indexes: {
        byPost: primary(["workspaceId"], ["postId", "platform"]),
        byMonth: gsi1(["workspaceId", "month"], ["postId", "platform"]),
        byPlatform: gsi2(["workspaceId", "platform"], ["month", "postId"]),
      },
    },

    draft: {
      model: model("draft"),
      attributes: {
        workspaceId: text(true),
        postId: text(true),
        platform: { type: PLATFORMS, required: true },
        draftVersion: { type: "number", required: true, padding: { length: 4, char: "0" } },
        month: text(true),
        authorId: text(),
        body: text(),
        note: text(),
        createdAt: text(),
      },
      indexes: {
        byPost: primary(["workspaceId"], ["postId", "platform", "draftVersion"]),
        byMonth: gsi1(["workspaceId", "month"], ["postId", "platform", "draftVersion"]),
      },
    },

    metric: {
      model: model("metric"),
      attributes: {
        workspaceId: text(true),
        postId: text(true),
        platform: { type: PLATFORMS, required: true },
        date: text(true), // YYYY-MM-DD: the day these numbers were true (a snapshot; never the publish day)
        month: text(true), // YYYY-MM of date
        // What the numbers measure: totals to date ("lifetime", also when absent) or totals over the period
        // periodStart..periodEnd (= date), which may be negative where a platform subtracts removals.
        measure: { type: MEASURE },
        periodStart: text(),
        periodEnd: text(),
        publishedAt: text(), // ISO-8601, as precise as the export: a day, a local time, or with an offset
        title: text(), // the post's title or first words, as the export gives them
        impressions: number(),
        likes: number(),
        comments: number(),
        shares: number(),
        saves: number(),
        clicks: number(),
        views: number(),
        engagements: number(), // where an export gives only the platform's total (LinkedIn's top posts)
        watchTimeSeconds: number(),
        followersGained: number(), // net: may be negative
        clickThroughRate: number(), // thumbnail or cover click-through, 0..1
        source: text(),
        capturedAt: text(),
        // Set by the ingest worker only. A metric the app writes or edits must not carry it: its absence is
        // what makes the insights worker re-derive the month at once.
        importId: text(),
      },
      indexes: {
        byPost: primary(["workspaceId"], ["postId", "platform", "date"]),
        byMonth: gsi1(["workspaceId", "month"], ["date", "postId", "platform"]),
        byPlatform: gsi2(["workspaceId", "platform"], ["date", "postId"]),
      },
    },

    insight: {
      model: model("insight"),
      attributes: {
        workspaceId: text(true),
        insightId: text(true),
        month: text(true),
        kind: text(true),
        severity: { type: SEVERITY, required: true },
        title: text(),
        body: text(),
        evidence: {
          type: "list",
          items: {
            type: "map",
            properties: { postId: text(), platform: text(), metric: text(), value: number(), note: text() },
          },
        },
        createdAt: text(),
        derivedAt: text(), // watermark of the derivation that wrote it
      },
      indexes: {
        byWorkspace: primary(["workspaceId"], ["month", "insightId"]),
        byMonth: gsi1(["workspaceId", "month"], ["insightId"]),
        bySeverity: gsi2(["workspaceId", "severity"], ["month", "insightId"]),
      },
    },

    task: {
      model: model("task"),
      attributes: {
        workspaceId: text(true),
        taskId: text(true),
        month: text(true),
        status: { type: TASK_STATUS, required: true },
        title: text(),
        priority: number(),
        sourceInsightId: text(),
        assigneeId: text(),
        dueDate: text(),
        createdAt: text(),
        // The app must set updatedAt whenever a user changes a task: a task updated after the pipeline last wrote
        // it (derivedAt) belongs to the user, and done or dismissed tasks are never touched by the pipeline.
        updatedAt: text(),
        derivedAt: text(),
      },
      indexes: {
        byWorkspace: primary(["workspaceId"], ["taskId"]),
        byMonth: gsi1(["workspaceId", "month"], ["taskId"]),
        byStatus: gsi2(["workspaceId", "status"], ["month", "taskId"]),
      },
    },

    // One day's values of the account (subject "account") or of one post (subject "post-<postId>"), from exports
    // that give a value per day: increments over that day, never snapshots. Written by the ingest worker.
    daily: {
      model: model("daily"),
      attributes: {
        workspaceId: text(true),
        platform: { type: PLATFORMS, required: true },
        subject: text(true),
        day: text(true), // YYYY-MM-DD
        month: text(true), // YYYY-MM of day
        postId: text(), // the post, for a post's series
        title: text(),
        publishedAt: text(),
        impressions: number(),
        engagements: number(),
        likes: number(),
        comments: number(),
        shares: number(),
        saves: number(),
        clicks: number(),
        views: number(),
        watchTimeSeconds: number(),
        followersGained: number(),
        followersLost: number(),
        followers: number(), // total at the end of the day
        profileVisits: number(),
        postsPublished: number(),
        clickThroughRate: number(),
        source: text(),
        capturedAt: text(),
        importId: text(),
      },
      indexes: {
        bySubject: primary(["workspaceId"], ["platform", "subject", "day"]),
        byMonth: gsi1(["workspaceId", "month"], ["day", "platform", "subject"]),
        byPlatform: gsi2(["workspaceId", "platform"], ["day", "subject"]),
      },
    },

    // One record per ingested S3 object, written by the ingest worker; the app shows it as import history.
    import: {
      model: model("import"),
      attributes: {
        workspaceId: text(true),
        importId: text(true),
        month: text(true), // YYYY-MM of sourceTime
        status: { type: IMPORT_STATUS, required: true },
        bucket: text(true),
        key: text(true),
        versionId: text(),
        etag: text(),
        sizeBytes: number(),
        sourceTime: text(true),
        format: text(),
        rowsSeen: number(),
        rowsWritten: number(),
        rowsRejected: number(),
        errors: {
          type: "list",
          items: {
            type: "map",
            properties: { part: text(), line: number(), column: text(), reason: text() },
          },
        },
        rejectsKey: text(),
        months: strings,
        checkpoint: {
          type: "map",
          properties: {
            part: number(),
            byteOffset: number(),
            rawOffset: number(),
            line: number(),
            format: text(),
            header: strings,
            delimiter: text(),
            context: { type: "any" },
          },
        },
        leaseOwner: text(),
        leaseExpiresAt: text(),
        startedAt: text(),
        finishedAt: text(),
        updatedAt: text(),
        version: number(true),
        failure: text(), // why the file failed or stopped early; row problems are in `errors`
        invocations: number(),
        container: text(), // plain, gzip, zip, xlsx or xls
        notes: strings, // how the file was read: its dating, its dates, a table cut short, entries skipped
      },
      indexes: {
        byWorkspace: primary(["workspaceId"], ["importId"]),
        byMonth: gsi1(["workspaceId", "month"], ["importId"]),
        byStatus: gsi2(["workspaceId", "status"], ["month", "importId"]),
      },
    },

    // A named, expiring lock in a workspace: the ingest worker holds `ingest` while it writes metrics.
    lock: {
      model: model("lock"),
      attributes: {
        workspaceId: text(true),
        name: text(true),
        owner: text(true),
        expiresAt: text(true),
        holder: text(),
        ttl: number(), // epoch seconds: the table's TTL deletes a lock a day after it lapses
      },
      indexes: {
        byWorkspace: primary(["workspaceId"], ["name"]),
      },
    },

    // The insights worker's record of a month's latest derivation (watermark, what it produced).
    derivation: {
      model: model("derivation"),
      attributes: {
        workspaceId: text(true),
        month: text(true),
        watermark: text(true),
        contentHash: text(),
        insightIds: strings,
        taskIds: strings,
        runs: number(),
        derivedAt: text(),
        catalogue: text(), // the catalogue version that derived it
      },
      indexes: {
        byWorkspace: primary(["workspaceId"], ["month"]),
      },
    },

    // A workspace month the daily schedule re-derives on `day` (what time alone changes); the schedule reads the
    // day's partition of byDay, never a scan. Written by the insights worker.
    schedule: {
      model: model("schedule"),
      attributes: {
        workspaceId: text(true),
        day: text(true),
        month: text(true),
        ttl: number(), // epoch seconds: the table's TTL deletes the entry a week after its day
      },
      indexes: {
        byWorkspace: primary(["workspaceId"], ["day", "month"]),
        byDay: gsi1(["day"], ["workspaceId", "month"]),
      },
    },
  };
}

/** The service over `table`. `casing`: "none" (the contract) or "default" (ElectroDB's lower-casing). */
export function makeService({ client, table, casing = "none" }) {
  const entities = Object.fromEntries(
    Object.entries(schemas(casing)).map(([name, schema]) => [name, new Entity(schema, { client, table })]),
  );
  return new Service(entities, { client, table });
}
