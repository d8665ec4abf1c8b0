// Offline validation of Kubernetes manifests (k8s-optional/), three layers:
//  1. schema: each object against the Kubernetes OpenAPI schema of its apiVersion/kind, as
//     compiled by kubernetes-models (types, required fields, enums, formats);
//  2. strict: no field the API does not define (a typo like `replica:` or `memLimit:`; the
//     schemas themselves allow extra fields, so this walks the models' type declarations);
//  3. consistency of the evermirror set: selectors, volumes, ConfigMap and Service references,
//     port names, EVERMIRROR_* variables and the embedded box file against docs/configuration.md,
//     and the scrape config's port-name rule.
//   node validate.mjs --docs docs/configuration.md [--scrape FILE] MANIFEST.yaml...
// Prints one line per problem; exit 1 if any.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments, parse as parseYaml } from "yaml";

const here = path.dirname(fileURLToPath(import.meta.url));
const modelsRoot = path.join(here, "node_modules", "kubernetes-models");
const problems = [];
const problem = (where, what) => problems.push(`${where}: ${what}`);

// --- 2. the models' declarations as a type grammar -----------------------------------------
const declCache = new Map();

function tokenize(text) {
  const src = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
  return src.match(/"(?:[^"\\]|\\.)*"|[A-Za-z_$][\w$]*|=>|[{}()<>\[\];:?|,=.]|\S/g) || [];
}

// Parses a type at tokens[pos]; returns [type, newPos]. Types: {kind: "any"} | {kind: "ref", name}
// | {kind: "array", of} | {kind: "object", members: Map, index} | {kind: "union", of: []}.
function parseType(t, pos) {
  const members = [];
  let p = pos;
  for (;;) {
    let one;
    [one, p] = parsePrimary(t, p);
    members.push(one);
    if (t[p] !== "|") break;
    p++;
  }
  return [members.length === 1 ? members[0] : { kind: "union", of: members }, p];
}

function parsePrimary(t, p) {
  const tok = t[p];
  if (tok === "(") {
    const [inner, q] = parseType(t, p + 1);
    return [inner, q + 1];
  }
  if (tok === "Array" && t[p + 1] === "<") {
    const [of, q] = parseType(t, p + 2);
    return [{ kind: "array", of }, q + 1];
  }
  if (tok === "{") return parseObject(t, p + 1);
  let q = p + 1;
  while (t[q] === "[") q += 3;  // IFoo["apiVersion"]
  if (/^I[A-Z]\w*$/.test(tok) && t[p + 1] !== "[") return [{ kind: "ref", name: tok }, q];
  return [{ kind: "any" }, q];
}

function parseObject(t, p) {
  const members = new Map();
  let index = null;
  while (t[p] !== "}") {
    if (t[p] === "[") {  // [key: string]: T;
      p += 5;
      [index, p] = parseType(t, p + 1);
    } else {
      const name = JSON.parse(t[p]);
      p++;
      if (t[p] === "?") p++;
      let type;
      [type, p] = parseType(t, p + 1);
      members.set(name, type);
    }
    if (t[p] === ";" || t[p] === ",") p++;
  }
  return [{ kind: "object", members, index }, p + 1];
}

// The declared type of a .d.ts file: its interface (or type alias), with its imports.
function loadDecl(file) {
  if (declCache.has(file)) return declCache.get(file);
  const text = fs.readFileSync(file, "utf8");
  const imports = new Map();
  for (const m of text.matchAll(/import \{ (\w+) \} from "([^"]+)";/g)) imports.set(m[1], resolveImport(file, m[2]));
  let type = { kind: "any" };
  const iface = text.match(/export interface (\w+)(?: extends [\w, ]+)? \{/);
  if (iface) {
    const t = tokenize(text.slice(iface.index + iface[0].length - 1));
    type = parseObject(t, 1)[0];
  } else {
    const alias = text.match(/export type (I\w+) = ([^;]+);/);
    if (alias) type = parseType(tokenize(alias[2]), 0)[0];
  }
  const decl = { file, type, imports };
  declCache.set(file, decl);
  return decl;
}

function resolveImport(from, spec) {
  if (spec.startsWith(".")) return path.resolve(path.dirname(from), spec.replace(/\.js$/, ".d.ts"));
  const file = path.join(here, "node_modules", spec);
  return fs.existsSync(`${file}.d.ts`) ? `${file}.d.ts` : path.join(file, "index.d.ts");
}

function strict(value, type, decl, where) {
  if (value === null || value === undefined || type.kind === "any") return;
  if (type.kind === "ref") {
    const file = decl.imports.get(type.name);
    if (file && fs.existsSync(file)) {
      const target = loadDecl(file);
      strict(value, target.type, target, where);
    }
    return;
  }
  if (type.kind === "array") {
    if (Array.isArray(value)) value.forEach((v, i) => strict(v, type.of, decl, `${where}[${i}]`));
    return;
  }
  if (type.kind === "union") {
    const objects = type.of.filter((t) => t.kind !== "any");
    if (objects.length === 1) strict(value, objects[0], decl, where);
    return;
  }
  if (type.kind === "object" && typeof value === "object" && !Array.isArray(value)) {
    for (const [key, v] of Object.entries(value)) {
      if (type.members.has(key)) strict(v, type.members.get(key), decl, `${where}.${key}`);
      else if (type.index) strict(v, type.index, decl, `${where}.${key}`);
      else problem(where, `unknown field "${key}" (not in the ${path.basename(decl.file, ".d.ts")} API)`);
    }
  }
}

// --- 1. schema --------------------------------------------------------------------------
async function modelDir(apiVersion) {
  const dir = path.join(modelsRoot, ...(apiVersion.includes("/") ? apiVersion.split("/") : [apiVersion]));
  return fs.existsSync(dir) ? dir : null;
}

async function validateObject(obj, where) {
  const dir = await modelDir(String(obj.apiVersion));
  if (!dir || !fs.existsSync(path.join(dir, `${obj.kind}.js`))) {
    problem(where, `unknown apiVersion/kind ${obj.apiVersion}/${obj.kind}`);
    return;
  }
  const module = await import(path.join(dir, `${obj.kind}.js`));
  const Model = module[obj.kind];
  try {
    new Model(obj).validate();
  } catch (error) {
    problem(where, `schema: ${String(error.message).split("\n").join("; ")}`);
  }
  const decl = loadDecl(path.join(dir, `${obj.kind}.d.ts`));
  strict(obj, decl.type, decl, where);
}

// --- 3. the evermirror set ---------------------------------------------------------------
function docsKeys(docsFile) {
  const keys = new Set();
  let section = null;
  for (const line of fs.readFileSync(docsFile, "utf8").split("\n")) {
    const heading = line.match(/^## `\[(\w+)\]`/);
    if (heading) section = heading[1];
    const row = line.match(/^\| `(\w+)` \|.*\| `(EVERMIRROR_\w+)` \|/);
    if (row && section) {
      keys.add(`${section}.${row[1]}`);
      keys.add(row[2]);
    }
  }
  return keys;
}

function checkToml(text, keys, where) {
  let section = null;
  text.split("\n").forEach((raw, i) => {
    const line = raw.replace(/#.*$/, "").trim();
    if (!line) return;
    const header = line.match(/^\[(\w+)\]$/);
    if (header) {
      section = header[1];
      if (![...keys].some((k) => k.startsWith(`${section}.`))) problem(`${where}:${i + 1}`, `unknown section [${section}]`);
      return;
    }
    const kv = line.match(/^(\w+)\s*=/);
    if (!kv) problem(`${where}:${i + 1}`, `not a key = value line: ${line}`);
    else if (!keys.has(`${section}.${kv[1]}`)) problem(`${where}:${i + 1}`, `unknown option ${section}.${kv[1]} (docs/configuration.md)`);
  });
}

function matches(selector, labels) {
  return Object.entries(selector || {}).every(([k, v]) => labels?.[k] === v);
}

function checkSet(objects, keys, scrape) {
  const byKind = (kind) => objects.filter(({ obj }) => obj.kind === kind);
  const configMaps = new Map(byKind("ConfigMap").map(({ obj }) => [obj.metadata?.name, obj]));
  const services = byKind("Service");
  for (const { obj: cm, where } of byKind("ConfigMap")) {
    for (const [file, text] of Object.entries(cm.data || {})) if (file.endsWith(".toml")) checkToml(text, keys, `${where} ${file}`);
  }
  const pods = [];
  for (const { obj: sts, where } of byKind("StatefulSet")) {
    const pod = sts.spec.template;
    pods.push({ labels: pod.metadata?.labels, spec: pod.spec, where });
    if (!matches(sts.spec.selector?.matchLabels, pod.metadata?.labels)) problem(where, "selector does not match the template's labels");
    if (sts.spec.serviceName && !services.some(({ obj }) => obj.metadata?.name === sts.spec.serviceName && obj.spec?.clusterIP === "None")) {
      problem(where, `serviceName ${sts.spec.serviceName} is not a headless Service of this set`);
    }
    const volumes = new Set([...(pod.spec.volumes || []).map((v) => v.name), ...(sts.spec.volumeClaimTemplates || []).map((c) => c.metadata?.name)]);
    for (const v of pod.spec.volumes || []) {
      if (v.configMap && !configMaps.has(v.configMap.name)) problem(where, `volume ${v.name}: no ConfigMap ${v.configMap.name} in this set`);
    }
    const portNames = new Set();
    for (const c of pod.spec.containers) {
      for (const m of c.volumeMounts || []) if (!volumes.has(m.name)) problem(`${where} container ${c.name}`, `volumeMount ${m.name} has no volume`);
      for (const e of c.env || []) {
        if (e.name.startsWith("EVERMIRROR_") && e.name !== "EVERMIRROR_CONFIG" && !keys.has(e.name)) {
          problem(`${where} container ${c.name}`, `${e.name} is no option (docs/configuration.md)`);
        }
      }
      for (const p of c.ports || []) {
        if (p.name && portNames.has(p.name)) problem(`${where} container ${c.name}`, `port name ${p.name} used twice in the pod`);
        if (p.name && !/^[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$/.test(p.name)) problem(`${where} container ${c.name}`, `port name ${p.name} is not an IANA service name (<= 15 chars)`);
        if (p.name) portNames.add(p.name);
      }
    }
    if (scrape) {
      const annotations = pod.metadata?.annotations || {};
      if (annotations["prometheus.io/scrape"] !== "true") problem(where, "pod template lacks prometheus.io/scrape: \"true\"");
      const metricsPorts = [...portNames].filter((n) => scrape.test(n));
      if (metricsPorts.length !== pod.spec.containers.length) {
        problem(where, `${metricsPorts.length} ports match the scrape rule ${scrape}, want one per container`);
      }
    }
  }
  for (const { obj: svc, where } of services) {
    const pod = pods.find((p) => matches(svc.spec?.selector, p.labels));
    if (!pod) {
      problem(where, "selector matches no pod template of this set");
      continue;
    }
    const ports = pod.spec.containers.flatMap((c) => c.ports || []);
    for (const sp of svc.spec.ports || []) {
      const target = sp.targetPort ?? sp.port;
      const found = ports.find((p) => (typeof target === "string" ? p.name === target : p.containerPort === target));
      if (!found) problem(where, `port ${sp.name}: targetPort ${target} is no container port`);
      else if ((found.protocol || "TCP") !== (sp.protocol || "TCP")) problem(where, `port ${sp.name}: protocol differs from the container's`);
    }
  }
}

function scrapeRule(file) {
  const config = parseYaml(fs.readFileSync(file, "utf8"));
  for (const job of config.scrape_configs || []) {
    for (const r of job.relabel_configs || []) {
      if ((r.source_labels || []).includes("__meta_kubernetes_pod_container_port_name") && r.action === "keep") {
        return new RegExp(`^(?:${r.regex})$`);
      }
    }
  }
  problem(file, "no keep rule on __meta_kubernetes_pod_container_port_name");
  return null;
}

// --- main -------------------------------------------------------------------------------
const args = process.argv.slice(2);
let docs = null;
let scrapeFile = null;
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--docs") docs = args[++i];
  else if (args[i] === "--scrape") scrapeFile = args[++i];
  else files.push(args[i]);
}
if (!docs || files.length === 0) {
  console.error("usage: node validate.mjs --docs docs/configuration.md [--scrape FILE] MANIFEST.yaml...");
  process.exit(2);
}
const objects = [];
for (const file of files) {
  const documents = parseAllDocuments(fs.readFileSync(file, "utf8"));
  documents.forEach((doc, i) => {
    const where = `${path.basename(file)}#${i + 1}`;
    if (doc.errors.length) problem(where, `YAML: ${doc.errors.map((e) => e.message).join("; ")}`);
    const obj = doc.toJS();
    if (obj) objects.push({ obj, where: `${where} ${obj.kind}/${obj.metadata?.name}` });
  });
}
for (const { obj, where } of objects) await validateObject(obj, where);
checkSet(objects, docsKeys(docs), scrapeFile ? scrapeRule(scrapeFile) : null);
for (const p of problems) console.log(p);
console.log(`${objects.length} objects in ${files.length} files: ${problems.length} problems`);
process.exit(problems.length ? 1 : 0);
