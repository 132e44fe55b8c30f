// Build the web client into dist/ (committed: the server embeds it, so
// `cargo build` needs no Node). `node scripts/build.mjs --check` builds into
// a temporary folder and fails when dist/ differs (tests/tests/e2e_browser.rs).
//
// dist/index.html          the one page (every route serves it)
// dist/assets/app.js       the bundle (esbuild, minified)
// dist/assets/app.css      the styles
// dist/**.gz               gzip copies, served to browsers that accept gzip
import * as esbuild from "esbuild";
import { gzipSync } from "node:zlib";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const check = process.argv.includes("--check");
const out = check ? mkdtempSync(join(tmpdir(), "dualpower-web-")) : join(root, "dist");

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, "assets"), { recursive: true });

const result = await esbuild.build({
  entryPoints: [join(root, "src/main.tsx")],
  bundle: true,
  minify: true,
  format: "esm",
  target: ["chrome100", "firefox100", "safari15"],
  jsx: "automatic",
  jsxImportSource: "preact",
  legalComments: "none",
  write: false,
  outfile: join(out, "assets/app.js"),
  logLevel: "warning",
});
for (const f of result.outputFiles) writeFileSync(f.path, f.contents);
writeFileSync(join(out, "assets/app.css"), readFileSync(join(root, "src/style.css")));
writeFileSync(join(out, "index.html"), readFileSync(join(root, "src/index.html")));

function files(dir) {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}
let total = 0;
for (const f of files(out).filter((f) => !f.endsWith(".gz"))) {
  // mtime 0 in the gzip header: the same input gives the same bytes.
  const gz = gzipSync(readFileSync(f), { level: 9 });
  writeFileSync(`${f}.gz`, gz);
  total += gz.length;
}

if (check) {
  const dist = join(root, "dist");
  const mine = files(out).map((f) => relative(out, f)).sort();
  const theirs = files(dist).map((f) => relative(dist, f)).sort();
  const stale =
    mine.join("\n") !== theirs.join("\n") ||
    mine.some((f) => !readFileSync(join(out, f)).equals(readFileSync(join(dist, f))));
  rmSync(out, { recursive: true, force: true });
  if (stale) {
    console.error("client-web/dist is stale: run `npm run build` in client-web/ and commit dist/.");
    process.exit(1);
  }
  console.log("client-web/dist is up to date");
} else {
  console.log(`built ${relative(process.cwd(), out)}: ${total} bytes compressed`);
}
