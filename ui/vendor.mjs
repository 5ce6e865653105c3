// Copies the browser builds of the editors kb serves (GraphiQL at /graphql, YASGUI at /sparql) from node_modules
// (installed by `npm ci`, see update.sh) into kb/serve/static/vendor/, with their licences, the licences of
// everything their bundles contain, and MANIFEST.json (package versions, each file's sha256: kb.serve.editors
// reads it to version the assets' URLs, and tests/test_editors.py checks the files against it).
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
const MODULES = join(HERE, "node_modules");
const VENDOR = join(HERE, "..", "kb", "serve", "static", "vendor");

// [package, file inside it, name in vendor/]: minified browser builds only (UMD, so no bundler is needed).
const FILES = [
  ["react", "umd/react.production.min.js", "react.production.min.js"],
  ["react-dom", "umd/react-dom.production.min.js", "react-dom.production.min.js"],
  ["graphiql", "graphiql.min.js", "graphiql.min.js"],
  ["graphiql", "graphiql.min.css", "graphiql.min.css"],
  ["@zazuko/yasgui", "build/yasgui.min.js", "yasgui.min.js"],
  ["@zazuko/yasgui", "build/yasgui.min.css", "yasgui.min.css"],
];
// Packages whose tarballs have no licence file: the text kept in ui/licenses/ (where it came from is written there).
const YASGUI_LICENCE = join(HERE, "licenses", "yasgui.LICENSE");
const KEPT_LICENCES = Object.fromEntries(
  ["@zazuko/yasgui", "@zazuko/yasqe", "@zazuko/yasr", "@zazuko/yasgui-utils"].map((name) => [name, YASGUI_LICENCE]),
);
const LICENCE_FILE = /^(licen[cs]e|copying)(\.(md|txt|markdown))?$/i;

function packageDir(name) {
  return join(MODULES, ...name.split("/"));
}

function licenceText(dir) {
  const found = readdirSync(dir).filter((f) => LICENCE_FILE.test(f)).sort();
  return found.length ? readFileSync(join(dir, found[0]), "utf8") : null;
}

// Every installed package (nested node_modules too): all of them are dependencies of the vendored ones (ui/
// declares no development dependencies), so their code may be inside the bundles.
function installed(root = MODULES, found = []) {
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith(".")) continue;
    const dir = join(root, entry.name);
    if (entry.name.startsWith("@")) {
      installed(dir, found);
    } else if (existsSync(join(dir, "package.json"))) {
      found.push(dir);
      if (existsSync(join(dir, "node_modules"))) installed(join(dir, "node_modules"), found);
    }
  }
  return found;
}

function thirdParty() {
  // One copy of each licence text, under the packages that ship it (many share the Apache-2.0 or MIT text).
  const byText = new Map();
  const seen = new Set();
  for (const dir of installed()) {
    const meta = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    const key = `${meta.name}@${meta.version}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const kept = KEPT_LICENCES[meta.name];
    const text = (kept ? readFileSync(kept, "utf8") : licenceText(dir)) ?? "(no licence file in the package)";
    const declared = typeof meta.license === "string" ? meta.license : JSON.stringify(meta.license ?? "unknown");
    const names = byText.get(text.trim()) ?? [];
    byText.set(text.trim(), [...names, `${key} (${declared})`]);
  }
  const parts = [
    "The licences of every npm package installed with the vendored editors (ui/package-lock.json): their\n" +
      "bundles (graphiql.min.js, yasgui.min.js) contain code of many of them.\n",
  ];
  for (const [text, names] of byText) {
    parts.push(`${"=".repeat(78)}\n${names.sort().join("\n")}\n${"=".repeat(78)}\n${text}\n`);
  }
  return parts.join("\n");
}

function main() {
  rmSync(VENDOR, { recursive: true, force: true });
  mkdirSync(VENDOR, { recursive: true });
  const packages = {};
  for (const [name, file, target] of FILES) {
    // The source map is not shipped: drop the comment that would make a browser's developer tools ask for it.
    const text = readFileSync(join(packageDir(name), file), "utf8").replace(/\n?\/[/*]# sourceMappingURL=\S+\s*(\*\/)?\s*$/, "\n");
    writeFileSync(join(VENDOR, target), text);
    packages[name] = JSON.parse(readFileSync(join(packageDir(name), "package.json"), "utf8")).version;
  }
  for (const name of Object.keys(packages)) {
    const text = KEPT_LICENCES[name] ? readFileSync(KEPT_LICENCES[name], "utf8") : licenceText(packageDir(name));
    if (!text) throw new Error(`${name} has no licence file: keep its text in ui/licenses/ (KEPT_LICENCES)`);
    writeFileSync(join(VENDOR, `${name.split("/").pop()}.LICENSE`), text);
  }
  writeFileSync(join(VENDOR, "THIRD-PARTY-LICENSES.txt"), thirdParty());
  const files = {};
  for (const name of readdirSync(VENDOR).sort()) {
    files[name] = createHash("sha256").update(readFileSync(join(VENDOR, name))).digest("hex");
  }
  writeFileSync(join(VENDOR, "MANIFEST.json"), JSON.stringify({ packages, files }, null, 2) + "\n");
  for (const [name, sha] of Object.entries(files)) console.log(`${sha.slice(0, 12)}  ${name}`);
}

main();
