// Derive the TypeScript types of protocol v1 from the JSON Schema the Rust
// types generate (protocol/schema/protocol-v1.schema.json). The output,
// src/protocol.gen.ts, is committed; `node scripts/gen-types.mjs --check`
// fails when it is stale (run by tests/tests/e2e_browser.rs).
import { compile } from "json-schema-to-typescript";
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const here = dirname(fileURLToPath(import.meta.url));
const schemaPath = join(here, "../../protocol/schema/protocol-v1.schema.json");
const outPath = join(here, "../src/protocol.gen.ts");
const schema = JSON.parse(readFileSync(schemaPath, "utf8"));

// The schema's root is a union of ClientMsg and ServerMsg; give it a name.
schema.title = "ProtocolV1";
const ts = await compile(schema, "ProtocolV1", {
  bannerComment:
    "/* Generated from protocol/schema/protocol-v1.schema.json by scripts/gen-types.mjs. Do not edit: run `npm run types`. */",
  additionalProperties: false,
  unreachableDefinitions: true,
  style: { singleQuote: false, semi: true, printWidth: 100 },
  format: false,
});

// The vocabulary as values too (the types vanish at run time): every
// faction, group, phase, and the ids of the motions and actions a request may
// name, with the extra parameters each takes. Derived from the same schema.
const defs = schema.$defs;
const variants = (def) =>
  defs[def].oneOf
    .map((v) => ({ id: v.properties.id.const, params: Object.keys(v.properties).filter((k) => k !== "id") }))
    .filter((v) => v.id !== "unknown");
const values =
  "\n// Vocabulary as values, from the same schema.\n" +
  `export const FACTIONS: readonly Faction[] = ${JSON.stringify(defs.Faction.enum)};\n` +
  `export const GROUPS: readonly Group[] = ${JSON.stringify(defs.Group.enum)};\n` +
  `export const PHASES: readonly Phase[] = ${JSON.stringify(defs.Phase.enum)};\n` +
  `export const MOTIONS: readonly { id: Motion["id"]; params: string[] }[] = ${JSON.stringify(variants("Motion"))};\n` +
  `export const ACTIONS: readonly { id: Action["id"]; params: string[] }[] = ${JSON.stringify(variants("Action"))};\n`;
const out = ts + values;

if (process.argv.includes("--check")) {
  const current = readFileSync(outPath, "utf8");
  if (current !== out) {
    console.error("src/protocol.gen.ts is stale: run `npm run types` in client-web/ and commit it.");
    process.exit(1);
  }
  console.log("src/protocol.gen.ts is up to date");
} else {
  writeFileSync(outPath, out);
  console.log(`wrote ${outPath}`);
}
