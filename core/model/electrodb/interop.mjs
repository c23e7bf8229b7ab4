#!/usr/bin/env node
// Runs ElectroDB operations for the pipeline's interop tests: a JSON request on stdin, a JSON answer on stdout.
//
//   {"table": "t", "endpoint": "http://127.0.0.1:8000", "casing": "none",
//    "ops": [{"op": "query", "entity": "post", "accessPattern": "byMonth", "composites": {...}},
//            {"op": "put", "entity": "metric", "item": {...}},
//            {"op": "get", "entity": "task", "key": {...}},
//            {"op": "patch", "entity": "task", "key": {...}, "set": {...}},
//            {"op": "describe"}]}
//
// Each op answers {"ok": true, "data": ...} or {"ok": false, "error": "..."}; the process exits 0 unless the
// request itself is unreadable. "describe" needs no table: it prints the model's indexes and attributes.
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { makeService, schemas } from "./model.mjs";

const input = await new Promise((resolve) => {
  let buf = "";
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (chunk) => (buf += chunk));
  process.stdin.on("end", () => resolve(buf));
});
const request = JSON.parse(input);
const casing = request.casing ?? "none";

const raw = new DynamoDBClient({
  region: process.env.AWS_REGION ?? "us-east-1",
  endpoint: request.endpoint,
  credentials: {
    accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? "local",
    secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? "local",
  },
});
const client = DynamoDBDocumentClient.from(raw);
const { entities } = makeService({ client, table: request.table ?? "unused", casing });

// Sets come back as JS Sets, which JSON cannot carry.
const plain = (value) => JSON.parse(JSON.stringify(value, (_, v) => (v instanceof Set ? [...v].sort() : v)));

function describe() {
  const out = {};
  for (const [name, schema] of Object.entries(schemas(casing))) {
    const indexes = {};
    for (const [accessPattern, def] of Object.entries(schema.indexes)) {
      indexes[def.index ?? "primary"] = { accessPattern, pk: def.pk.composite, sk: def.sk.composite };
    }
    const attributes = {};
    for (const [attr, def] of Object.entries(schema.attributes)) {
      const type = Array.isArray(def.type) ? "enum" : def.type;
      attributes[attr] = { type, required: def.required === true, values: Array.isArray(def.type) ? def.type : undefined };
      if (def.padding) attributes[attr].padding = def.padding.length;
    }
    out[name] = { version: schema.model.version, indexes, attributes };
  }
  return out;
}

async function run(op) {
  const entity = entities[op.entity];
  switch (op.op) {
    case "describe":
      return describe();
    case "query": {
      const { data } = await entity.query[op.accessPattern](op.composites).go({ pages: "all" });
      return data;
    }
    case "put": {
      const { data } = await entity.put(op.item).go();
      return data;
    }
    case "get": {
      const { data } = await entity.get(op.key).go();
      return data;
    }
    case "patch": {
      // What the app does when a user changes an item: patch an existing item's attributes.
      const { data } = await entity.patch(op.key).set(op.set).go({ response: "all_new" });
      return data;
    }
    default:
      throw new Error(`unknown op ${op.op}`);
  }
}

const answers = [];
for (const op of request.ops) {
  try {
    answers.push({ ok: true, data: plain(await run(op)) });
  } catch (err) {
    answers.push({ ok: false, error: String(err && err.message ? err.message : err) });
  }
}
process.stdout.write(JSON.stringify(answers) + "\n");
