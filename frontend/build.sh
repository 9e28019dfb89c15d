#!/usr/bin/env bash
# Builds the parents' page into a directory of static files (default: <repo>/target/site).
#
#   frontend/build.sh [OUT_DIR]
#   frontend/build.sh --compile-only   (the toolchain and the cargo build, nothing written: a
#                                       warm-up, as cargo xtask test starts it ahead)
#
# Installs what it lacks into <repo>/.tools/ (or $HOCPHI_TOOLS; never globally) and rustup: the
# pinned nightly toolchain with rust-src (the fuzz targets use the same one), wasm-opt from npm
# binaryen and the esbuild minifier from npm; builds infra/pagetools (the wasm-split and
# wasm-bindgen libraries at the versions Cargo.lock pins the page's runtime crates to) with the
# workspace. Then: cargo rustc (the library as a cdylib, release, --locked) -> wasm-split (the
# screens a first visit to / does not need, each into a module of its own that the app fetches when
# it first shows one) -> wasm-bindgen --target web -> the split loader merged into the glue (which
# must export no class), wasm-metadce -> wasm-opt (the split modules too; the main module's
# functions then ordered by name) -> import and export names minified in the wasm and its glue ->
# minify the JS and CSS -> give every file but index.html a content-hashed name (serve those as
# immutable, index.html as no-cache) -> rewrite the references -> inline the stylesheet and the boot
# script into index.html, checking that the Content-Security-Policy admits their hashes -> write
# precompressed .br and .gz siblings (the local server serves them) -> report each file's weight and
# fail when any address's first visit is above the budget. The English texts (en.json) become
# en-<hash>.json, which index.html names for the app to fetch when a parent chooses English: it is
# not part of a first visit, so it is reported apart and left out of the budget. OUT_DIR is replaced
# only if it is empty or was written by this script (it holds a manifest.txt).
#
# Needs: rustup + cargo, Node.js with npm, perl, sha256sum.
set -euo pipefail

# The nightly toolchain the page's WebAssembly is built with (also tests/fuzz's, via cargo xtask
# fuzz: one nightly to install). Only nightly rebuilds the standard library for size
# (-Zbuild-std) and drops what a page never shows: panic messages and their source locations,
# Debug output.
readonly NIGHTLY=nightly-2026-05-20
readonly BINARYEN_VERSION=132.0.0
readonly ESBUILD_VERSION=0.25.12
# Browsers that run WebAssembly, ES modules and import(): what the page supports.
readonly BROWSERS=chrome63,edge79,firefox67,safari11.1
# What a first visit to any address downloads, brotli-compressed as CloudFront serves it to every
# such browser: index.html, the glue and the main module, and on an address whose screen is split
# off (SPLIT_ROUTES), that screen's modules and stylesheet too.
readonly BUDGET_BYTES=$((100 * 1024))
# Where each split module (src/screens/arriving.rs) is needed at once, as MODULE:ROUTE:ADDRESS:
# boot.js starts fetching it (and the chunks it needs) with the app on that route (its
# at-ROUTE; payment-code: the look-up with a portal's ?ma=, looked up at once), and the weights
# name that address's first visit.
readonly SPLIT_ROUTES="invoices:payment-code:/?ma=… outcome:result:/ket-qua receipt:receipt:/bien-lai/{id}"

compile_only=false
if [[ "${1:-}" == --compile-only ]]; then
    compile_only=true
    shift
fi
frontend="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$frontend/.." && pwd)"
target_dir="${CARGO_TARGET_DIR:-$repo/target}"
out="${1:-$target_dir/site}"
tools="${HOCPHI_TOOLS:-$repo/.tools}"
cargo="${CARGO:-cargo}"
started=$SECONDS

step() { printf '\n==> %s\n' "$*"; }
fail() { printf 'error: %s\n' "$*" >&2; exit 1; }

command -v node >/dev/null && command -v npm >/dev/null ||
    fail "Node.js and npm are required (apt-get install nodejs npm)"

step "Rust $NIGHTLY with rust-src"
command -v rustup >/dev/null || fail "rustup is required to install $NIGHTLY"
sysroot="$(rustup run "$NIGHTLY" rustc --print sysroot 2>/dev/null || true)"
if [[ -n "$sysroot" && -f "$sysroot/lib/rustlib/src/rust/library/Cargo.lock" ]]; then
    echo "already installed"
else
    rustup toolchain install "$NIGHTLY" --profile minimal
    rustup component add rust-src --toolchain "$NIGHTLY"
    sysroot="$(rustup run "$NIGHTLY" rustc --print sysroot)"
fi

step "infra/pagetools: wasm-split and wasm-bindgen as Cargo.lock pins them"
# A host build in the workspace's own target directory (`cargo xtask test` makes it beforehand,
# the same way, with clippy's lints); the caller's RUSTFLAGS are kept, as for the rest of the
# workspace.
"$cargo" build --locked -p hocphi-pagetools
pagetools="$target_dir/debug/hocphi-pagetools"
[[ -x "$pagetools" ]] || fail "cargo did not produce $pagetools"

# npm_tool NAME PACKAGE VERSION BIN: installs PACKAGE@VERSION into .tools/NAME unless present.
# The marker is written only once npm has finished, so an install cut short is done again.
npm_tool() {
    local name="$1" package="$2" version="$3" bin="$tools/$1/node_modules/.bin/$4"
    local marker="$tools/$1/.installed-$package-$version"
    if [[ -x "$bin" && -f "$marker" ]]; then
        echo "$package $version already in .tools/$name" >&2
    else
        rm -f "$tools/$name"/.installed-*
        npm install --prefix "$tools/$name" --no-audit --no-fund --loglevel=error \
            --save-exact "$package@$version" >&2
        touch "$marker"
    fi
    printf '%s' "$bin"
}

step "wasm-opt from npm binaryen@$BINARYEN_VERSION, esbuild@$ESBUILD_VERSION"
wasm_opt="$(npm_tool binaryen binaryen "$BINARYEN_VERSION" wasm-opt)"
"$wasm_opt" --version | grep -q "version ${BINARYEN_VERSION%%.*}\b" || fail "unexpected $("$wasm_opt" --version)"
wasm_metadce="$(dirname "$wasm_opt")/wasm-metadce"
esbuild="$(npm_tool esbuild esbuild "$ESBUILD_VERSION" esbuild)"

step "cargo +$NIGHTLY rustc -p hocphi-frontend --lib (a wasm32 cdylib, release, the standard library rebuilt)"
# The library as a cdylib, which wasm-bindgen starts with its #[wasm_bindgen(start)] function: a
# binary would also link the standard library's start-up (arguments, stdout, the main thread).
# erase_components: Leptos type-erases views and reactive closures (less monomorphised code).
# panic=immediate-abort: a panic traps at once, without formatting a message nobody reads;
# location-detail=none and fmt-debug=none leave out panic locations and Debug output.
# The remaps keep machine-specific paths out of the wasm, so any checkout builds the same bytes.
# --emit-relocs keeps the linker's relocations, which wasm-split reads to split the module.
# With --target these flags reach only the wasm crates, not build scripts; the caller's own
# RUSTFLAGS are kept. The standard library is built with its optimize_for_size feature (its
# smaller sort, formatting and search code).
sep=$'\x1f'
flags="${CARGO_ENCODED_RUSTFLAGS:-${RUSTFLAGS:+${RUSTFLAGS// /$sep}}}"
for flag in --cfg erase_components -Zunstable-options -Cpanic=immediate-abort \
    -Zlocation-detail=none -Zfmt-debug=none -Clink-args=--emit-relocs \
    "--remap-path-prefix=$repo=/hocphi" \
    "--remap-path-prefix=${CARGO_HOME:-$HOME/.cargo}=/cargo" "--remap-path-prefix=$sysroot=/rust"; do
    flags="${flags:+$flags$sep}$flag"
done
env -u RUSTC -u RUSTUP_TOOLCHAIN -u RUSTFLAGS CARGO_ENCODED_RUSTFLAGS="$flags" \
    rustup run "$NIGHTLY" cargo rustc -p hocphi-frontend --lib --crate-type cdylib \
    --target wasm32-unknown-unknown --release --locked -Zbuild-std=std,panic_abort \
    -Zbuild-std-features=optimize_for_size
wasm_in="$target_dir/wasm32-unknown-unknown/release/hocphi_frontend.wasm"
[[ -f "$wasm_in" ]] || fail "cargo did not produce $wasm_in"
if $compile_only; then
    exit 0
fi

stage="$(mktemp -d "${TMPDIR:-/tmp}/hocphi-site.XXXXXX")"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/site" "$stage/min"

step "wasm-split: the screens a first visit to / does not need, into modules of their own"
"$pagetools" split "$wasm_in" "$stage/split" hocphi
split_modules=("$stage/split"/split_*.wasm)
[[ -f "$stage/split/__wasm_split.js" && -f "${split_modules[0]}" ]] ||
    fail "wasm-split split nothing off (no #[wasm_split] function reached?)"

step "wasm-bindgen --target web"
"$pagetools" bindgen "$stage/split/hocphi.wasm" "$stage/bindgen" hocphi

# The split modules share the main module's memory, function table and stack pointer, which
# the loader hands them from the main module's exports. The loader becomes part of the glue (one
# file: no cycle between two content-hashed names) and reads those as wasm.<export>, so the
# metadce and the export renaming below treat them as the glue's own.
step "the split loader merged into the glue"
node - "$stage/bindgen/hocphi.js" "$stage/split/__wasm_split.js" <<'EOF'
const fs = require("fs");
const [glueFile, loaderFile] = process.argv.slice(2);
let js = fs.readFileSync(glueFile, "utf8");
let loader = fs.readFileSync(loaderFile, "utf8");
const replace = (text, pattern, by, what) => {
  if (!pattern.test(text)) throw new Error(`unexpected ${what}: nothing matches ${pattern}`);
  pattern.lastIndex = 0;
  return text.replace(pattern, by);
};
loader = replace(loader, /^import \{ initSync \} from "\.\/hocphi\.js";\n/m, "", "loader");
loader = replace(loader,
  /const \{([\w\s,]*)\} = initSync\(undefined, undefined\);\s*Object\.assign\(sharedImports\.__wasm_split, \{[\w\s,]*\}\);/,
  (_, names) => `Object.assign(sharedImports.__wasm_split, { ${names.split(",").map((n) => n.trim())
    .filter(Boolean).sort().map((n) => `${n}: wasm.${n}`).join(", ")} });`, "loader");
// Fetched from the site's root, as index.html names the glue and the main module (the page's
// oldest browsers have no import.meta).
loader = replace(loader, /new URL\("\.\/(\w+\.wasm)", import\.meta\.url\)/g, (_, file) => `"/${file}"`, "loader");
// A module boot.js began to fetch beside the app, for the address's screen, is taken once (a
// retry fetches again).
loader = replace(loader, /fetch\("\/(\w+\.wasm)"\)/g, (_, file) => `early("/${file}")`, "loader") +
  "function early(url) {\n    const begun = self.hocphiEarly && self.hocphiEarly[url];\n" +
  "    if (begun) delete self.hocphiEarly[url];\n    return begun || fetch(url);\n}\n";
// Safari before 15 has no instantiateStreaming (the glue falls back likewise).
loader = replace(loader, /WebAssembly\.instantiateStreaming\(src, imports\)/g,
  "(WebAssembly.instantiateStreaming ? WebAssembly.instantiateStreaming(src, imports)" +
  " : src.then((r) => r.arrayBuffer()).then((b) => WebAssembly.instantiate(b, imports)))", "loader");
const loads = Array.from(loader.matchAll(/^export const (__wasm_split_load_\w+) = /gm), (m) => m[1]);
loader = replace(loader, /^export const /gm, "const ", "loader");
js = replace(js, /^import \* as \w+ from "\.\/__wasm_split\.js";?\n/gm, "", "glue");
let first = true;
js = replace(js, /^( +)"\.\/__wasm_split\.js": \w+,\n/gm, (_, indent) => {
  const entry = first ? `${indent}"./__wasm_split.js": { ${loads.join(", ")} },\n` : "";
  first = false;
  return entry;
}, "glue");
fs.writeFileSync(glueFile, `${js}\n${loader}`);
EOF

# The glue must export no class: Leptos's server_fn client links wasm-streams, whose classes
# would keep their futures in the module through the function table (the workspace patches it
# with frontend/no-streams). wasm-metadce then keeps only what the exports the glue uses reach.
step "wasm-metadce to the exports the glue uses"
node - "$stage/bindgen" "$stage/graph.json" <<'EOF'
const fs = require("fs");
const [dir, graph] = process.argv.slice(2);
const js = fs.readFileSync(`${dir}/hocphi.js`, "utf8");
if (/^export class /m.test(js)) throw new Error("the glue exports a class: is wasm-streams patched?");
const wasm = new WebAssembly.Module(fs.readFileSync(`${dir}/hocphi_bg.wasm`));
const exports = WebAssembly.Module.exports(wasm).map((e) => e.name);
const used = new Set(Array.from(js.matchAll(/\bwasm\.(\w+)/g), (m) => m[1]));
for (const name of used) if (!exports.includes(name)) throw new Error(`the glue uses a missing export ${name}`);
fs.writeFileSync(graph, JSON.stringify([
  { name: "glue", root: true, reaches: [...used].map((name) => `export ${name}`) },
  ...exports.map((name) => ({ name: `export ${name}`, export: name })),
]));
EOF
"$wasm_metadce" -g --graph-file "$stage/graph.json" -o "$stage/bindgen/hocphi_bg.wasm" \
    "$stage/bindgen/hocphi_bg.wasm" >/dev/null

# Measured on this page (brotli, what is served): -Os compresses better than -Oz, and restructuring
# the control flow first (--flatten --rereloop) lets the second round fold more.
# --low-memory-unused lets constant offsets fold into loads and stores: rustc's wasm32 linker puts
# the 1 MiB stack first, growing down to address 0, so the first KiB is reached only by a stack
# overflow. --generate-global-effects first tells the optimiser what each function may touch.
# The split modules (the screens' and the chunks they share) go through the same passes. No module
# keeps its target_features section (about 150 bytes each, read by tools only, not by browsers):
# the split modules lose it here, the main module after the renaming below, which still reads it.
# The main module's functions are then ordered by their (demangled) names, which wasm-metadce
# kept for this (-g): instances of one generic sit side by side and brotli finds their likeness
# (636 bytes less with brotli, measured; the split modules' mangled names gain nothing, so they keep
# the optimiser's order).
step "wasm-opt --generate-global-effects --flatten --rereloop -Os -Os --converge --low-memory-unused"
optimise() {
    "$wasm_opt" --generate-global-effects --flatten --rereloop -Os -Os --converge \
        --low-memory-unused "${@:3}" --strip-debug --strip-producers -o "$2" "$1"
}
optimise "$stage/bindgen/hocphi_bg.wasm" "$stage/opt.wasm" --reorder-functions-by-name
split_names=()
for module in "$stage/split"/*.wasm; do
    name="$(basename "$module" .wasm)"
    [[ "$name" == hocphi ]] && continue
    optimise "$module" "$stage/min/$name.wasm" --strip-target-features
    split_names+=("$name")
done

# wasm-bindgen names imports and exports after the Rust items with their crate hashes (up to 300
# characters, in both files); they become one or two letters, renamed alike in the glue, which
# also loses the shims of imports wasm-opt removed.
step "wasm-opt --minify-imports-and-exports-and-modules, the glue renamed to match"
"$wasm_opt" --minify-imports-and-exports-and-modules --strip-target-features \
    -o "$stage/min/hocphi.wasm" "$stage/opt.wasm" \
    >"$stage/names.txt"
node - "$stage/bindgen/hocphi.js" "$stage/names.txt" "$stage/min/hocphi.wasm" <<'EOF'
const fs = require("fs");
const [glue, names, wasmFile] = process.argv.slice(2);
let js = fs.readFileSync(glue, "utf8");
const map = JSON.parse(fs.readFileSync(names, "utf8").replace(/,(\s*[\]}])/g, "$1"));
const wasm = new WebAssembly.Module(fs.readFileSync(wasmFile));
const loader = "./__wasm_split.js";
const modules = new Set(map.imports.map(([module]) => module).filter((module) => module !== loader));
if (modules.size !== 1) throw new Error(`imports from ${[...modules]}`);
const imports = WebAssembly.Module.imports(wasm);
const newModule = imports[0].module;
if (imports.some((i) => i.module !== newModule)) throw new Error("imports from several modules");
const renamed = new Map(map.imports.filter(([module]) => module !== loader).map(([, from, to]) => [from, to]));
const loads = map.imports.filter(([module]) => module === loader).map(([, from, to]) => `        ${to}: ${from},\n`);
const loaderEntry = /^ {8}"\.\/__wasm_split\.js": \{[\w\s,]*\},\n/m;
if (loads.length === 0 || !loaderEntry.test(js)) throw new Error("the glue does not hand the module its split loader");
js = js.replace(loaderEntry, "");
const start = js.indexOf("    const import0 = {\n");
const end = js.indexOf("\n    };\n", start);
if (start < 0 || end < 0) throw new Error("the glue has no import object");
const body = js.slice(start, end + 1).split(/^(?= {8}\w+: )/m);
const kept = body.slice(1).filter((entry) => renamed.has(entry.match(/^ {8}(\w+): /)[1]));
const keys = kept.map((entry) => entry.match(/^ {8}(\w+): /)[1]);
const wanted = imports.map((i) => i.name).sort();
const given = keys.map((name) => renamed.get(name)).concat(loads.map((l) => l.trim().split(":")[0])).sort();
if (JSON.stringify(given) !== JSON.stringify(wanted)) throw new Error("the glue's imports differ from the module's");
js = js.slice(0, start) + body[0] +
  kept.map((entry) => entry.replace(/^( {8})(\w+): /, (_, indent, name) => `${indent}${renamed.get(name)}: `)).join("") +
  loads.join("") + js.slice(end + 1);
const source = [...modules][0];
if (!js.includes(`"${source}": import0`)) throw new Error(`the glue does not provide ${source}`);
js = js.replace(`"${source}": import0`, `${JSON.stringify(newModule)}: import0`);
const exported = new Map(map.exports);
js = js.replace(/\bwasm\.(\w+)\b/g, (whole, name) => {
  if (!exported.has(name)) throw new Error(`the glue uses a missing export ${name}`);
  return `wasm.${exported.get(name)}`;
});
fs.writeFileSync(glue, js);
EOF
printf 'wasm: %s bytes from wasm-bindgen, %s after wasm-opt\n' \
    "$(wc -c <"$stage/bindgen/hocphi_bg.wasm")" "$(wc -c <"$stage/min/hocphi.wasm")"

step "esbuild --minify (JS glue, boot script, stylesheet)"
minify() { "$esbuild" "$1" --minify --charset=utf8 --target="$BROWSERS" --log-level=warning --outfile="$2"; }
minify "$stage/bindgen/hocphi.js" "$stage/min/hocphi.js"
minify "$frontend/boot.js" "$stage/min/boot.js"
minify "$frontend/style.css" "$stage/min/style.css"
minify "$frontend/receipt.css" "$stage/min/receipt.css"

step "English texts (en.json -> the array the page installs when a parent chooses English)"
node -e '
const fs = require("fs");
const pairs = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
if (!Array.isArray(pairs) || !pairs.every((p) => Array.isArray(p) && p.length === 2 && typeof p[1] === "string"))
  throw new Error("en.json must be [text id, English] pairs");
fs.writeFileSync(process.argv[2], JSON.stringify(pairs.map((p) => p[1])));
' "$frontend/en.json" "$stage/min/en.json"

step "content-hashed file names"
# publish SRC NAME EXT: copies SRC into the site as NAME-<hash>.EXT and prints that name.
publish() {
    local hashed
    hashed="$2-$(sha256sum "$1" | cut -c1-16).$3"
    cp "$1" "$stage/site/$hashed"
    printf '%s' "$hashed"
}
# rewrite FILE OLD NEW: replaces every OLD by NEW, failing if FILE does not mention OLD.
rewrite() {
    grep -qF -- "$2" "$1" || fail "$1 does not reference $2"
    OLD="$2" NEW="$3" perl -pi -e 's/\Q$ENV{OLD}\E/$ENV{NEW}/g' "$1"
}
wasm_name="$(publish "$stage/min/hocphi.wasm" hocphi wasm)"
split_files=()
for name in "${split_names[@]}"; do
    split_files+=("$(publish "$stage/min/$name.wasm" "$name" wasm)")
    rewrite "$stage/min/hocphi.js" "\"/$name.wasm\"" "\"/${split_files[-1]}\""
done
js_name="$(publish "$stage/min/hocphi.js" hocphi js)"
css_name="$(publish "$stage/min/style.css" style css)"
receipt_css="$(publish "$stage/min/receipt.css" receipt css)"
cp "$frontend/index.html" "$stage/site/index.html"
rewrite "$stage/site/index.html" "/hocphi.js" "/$js_name"
rewrite "$stage/site/index.html" "/hocphi_bg.wasm" "/$wasm_name"
# For each route that needs a split module at once, the modules it needs, named in index.html
# for boot.js (<meta name="hocphi-at-ROUTE">) and listed for the weights.
step "each route's split modules named in index.html"
node - "$stage/split/__wasm_split.js" "$SPLIT_ROUTES" "${split_files[*]}" "$stage/site/index.html" \
    "$stage/screens.txt" <<'EOF'
const fs = require("fs");
const [loaderFile, routeList, published, html, screens] = process.argv.slice(2);
// `const __chunk_3 = makeLoad(() => { ... "./chunk_3.wasm" ... }, [])` and
// `export const __wasm_split_load_outcome = wrapAsyncCb(makeLoad(() => { ... "./split_outcome.wasm" ... }, [__chunk_3]))`.
const loads = new Map(Array.from(
  fs.readFileSync(loaderFile, "utf8").matchAll(
    /const (\w+) = (?:wrapAsyncCb\()?makeLoad\(\(\) => \{\s*const src = fetch\(new URL\("\.\/(\w+)\.wasm"[^]*?\n, \[([\w, ]*)\]\)/g),
  ([, variable, name, deps]) => [variable, { name, deps: deps.split(",").map((d) => d.trim()).filter(Boolean) }]));
const file = (name) => {
  const found = published.split(" ").find((f) => f.startsWith(`${name}-`));
  if (!found) throw new Error(`the loader fetches ${name}.wasm, which was not published`);
  return found;
};
const routes = new Map(routeList.split(" ").map((entry) => {
  const [module, route, ...address] = entry.split(":");
  return [module, { route, address: address.join(":") }];
}));
let page = fs.readFileSync(html, "utf8");
const anchor = page.match(/<meta name="hocphi-wasm" content="[^"]*">\n/);
if (!anchor) throw new Error("index.html names no hocphi-wasm");
const metas = [], lines = [];
for (const [variable, { name, deps }] of loads) {
  const module = variable.match(/^__wasm_split_load_(\w+)$/)?.[1];
  if (!module) continue;
  const where = routes.get(module);
  if (!where) throw new Error(`build.sh's SPLIT_ROUTES does not say where the ${module} module is needed`);
  const files = [file(name), ...deps.map((d) => file(loads.get(d).name))];
  metas.push(`<meta name="hocphi-at-${where.route}" content="${files.map((f) => `/${f}`).join(" ")}">\n`);
  lines.push(`${where.address} ${files.join(" ")}\n`);
}
if (metas.length !== routes.size) throw new Error("SPLIT_ROUTES names a module wasm-split did not make");
fs.writeFileSync(html, page.replace(anchor[0], anchor[0] + metas.join("")));
fs.writeFileSync(screens, lines.join(""));
EOF
en_name="$(publish "$stage/min/en.json" en json)"
rewrite "$stage/site/index.html" "/en.json" "/$en_name"
# The receipt's stylesheet, which boot.js adds on a receipt's address: part of that first visit.
rewrite "$stage/site/index.html" "/receipt.css" "/$receipt_css"
rewrite "$stage/screens.txt" "/bien-lai/{id} " "/bien-lai/{id} $receipt_css "
split_files+=("$receipt_css")
# The privacy notice (Vietnamese and English), a static page every screen links to: not part of
# a first visit, so left out of the budget.
cp "$frontend/quyen-rieng-tu.html" "$stage/site/quyen-rieng-tu.html"
rewrite "$stage/site/quyen-rieng-tu.html" "/style.css" "/$css_name"

step "stylesheet and boot script inlined into index.html"
# A first paint then needs the HTML alone: on Slow 3G every further request costs two seconds.
# The Content-Security-Policy admits exactly these two inline blocks by their SHA-256 (CSP 3
# hash-source), so functions/api/src/site.rs and infra/template.yaml (the template checks hold
# the two equal) must name the hashes printed here.
node - "$stage/site/index.html" "$stage/min/style.css" "$stage/min/boot.js" \
    "$repo/functions/api/src/site.rs" "$repo/infra/template.yaml" <<'EOF'
const fs = require("fs"), crypto = require("crypto");
const [html, cssFile, bootFile, ...policies] = process.argv.slice(2);
const css = fs.readFileSync(cssFile, "utf8").trim(), boot = fs.readFileSync(bootFile, "utf8").trim();
if (/<\/style/i.test(css) || /<\/script|<!--/i.test(boot)) throw new Error("an inlined block would end early");
const hash = (text) => `'sha256-${crypto.createHash("sha256").update(text, "utf8").digest("base64")}'`;
let page = fs.readFileSync(html, "utf8");
const inline = (tag, block) => {
  if (page.split(tag).length !== 2) throw new Error(`index.html must hold ${tag} exactly once`);
  page = page.replace(tag, () => block);
};
inline('<link rel="stylesheet" href="/style.css">', `<style>${css}</style>`);
inline('<script src="/boot.js"></script>', `<script>${boot}</script>`);
fs.writeFileSync(html, page);
const wanted = { "style-src": hash(css), "script-src": hash(boot) };
let stale = false;
for (const file of policies) {
  const text = fs.readFileSync(file, "utf8");
  for (const [directive, source] of Object.entries(wanted)) {
    if (!text.includes(source)) {
      console.error(`error: ${file}: the Content-Security-Policy's ${directive} must admit ${source}`);
      stale = true;
    }
  }
}
if (stale) process.exit(1);
console.log(`style-src ${wanted["style-src"]}\nscript-src ${wanted["script-src"]}`);
EOF

step "page weight (budget: $((BUDGET_BYTES / 1024)) KiB with brotli for a first visit to any address)"
# Every file is written precompressed, weighed, and listed in manifest.txt (name, bytes,
# SHA-256). A first visit to / downloads index.html, the glue and the main module; the other
# addresses' first visits add the split modules their screen needs (read from wasm-split's
# loader). The budget holds each of them.
(cd "$stage/site" && node - "$BUDGET_BYTES" "$stage/screens.txt" \
    "index.html $js_name $wasm_name" "${split_files[*]}" "$en_name" "$css_name") <<'EOF'
const fs = require("fs"), zlib = require("zlib"), crypto = require("crypto");
const { BROTLI_PARAM_QUALITY, BROTLI_PARAM_LGWIN, BROTLI_PARAM_SIZE_HINT } = zlib.constants;
const [limit, screens, firstList, splitList, english, privacy] = process.argv.slice(2);
const budget = Number(limit);
const weigh = (file) => {
  const bytes = fs.readFileSync(file);
  const gzipped = zlib.gzipSync(bytes, { level: 9 });
  const brotlied = zlib.brotliCompressSync(bytes, { params: {
    [BROTLI_PARAM_QUALITY]: 11, [BROTLI_PARAM_LGWIN]: 24, [BROTLI_PARAM_SIZE_HINT]: bytes.length,
  } });
  fs.writeFileSync(`${file}.gz`, gzipped);
  fs.writeFileSync(`${file}.br`, brotlied);
  const sha256 = crypto.createHash("sha256").update(bytes).digest("hex");
  return { file, raw: bytes.length, gzip: gzipped.length, brotli: brotlied.length, sha256 };
};
const row = (name, w, note = "") =>
  `${name.padEnd(40)} ${String(w.raw).padStart(9)} ${String(w.gzip).padStart(9)} ${String(w.brotli).padStart(10)}${note && "  " + note}`;
const sum = (ws) => ws.reduce((t, w) => ({ raw: t.raw + w.raw, gzip: t.gzip + w.gzip, brotli: t.brotli + w.brotli }),
  { raw: 0, gzip: 0, brotli: 0 });
const first = firstList.split(" ").map(weigh);
const split = splitList.split(" ").filter(Boolean).map(weigh);
const later = [[english, "(when a parent chooses English)"], [privacy, "(the privacy notice's stylesheet)"]]
  .map(([file, note]) => [weigh(file), note]);
const lines = ["file".padEnd(40) + "       raw   gzip -9  brotli 11", ...first.map((w) => row(w.file, w))];
const total = sum(first);
lines.push(row("total (a first visit to /)", total), "", "the split modules (and the receipt's stylesheet), fetched when a screen first needs them:");
lines.push(...split.map((w) => row(w.file, w)));
const overweight = total.brotli > budget ? [`/ (${total.brotli} bytes)`] : [];
for (const [address, ...files] of fs.readFileSync(screens, "utf8").trim().split("\n").map((l) => l.split(" "))) {
  const needed = files.map((f) => split.find((w) => w.file === f));
  const visit = sum([...first, ...needed]);
  if (visit.brotli > budget) overweight.push(`${address} (${visit.brotli} bytes)`);
  lines.push(row(`a first visit to ${address}`, visit,
    `(/ and ${files.map((f) => f.replace(/-[0-9a-f]{16}\.(wasm|css)$/, "")).join(", ")})`));
}
lines.push("", "not part of a first visit:", ...later.map(([w, note]) => row(w.file, w, note)));
console.log(lines.join("\n"));
const all = [...first, ...split, ...later.map(([w]) => w)];
fs.writeFileSync("manifest.txt", all.map((w) => `${w.file} ${w.raw} ${w.sha256}\n`).join(""));
if (overweight.length > 0) {
  console.error(`error: over the ${budget}-byte budget with brotli: a first visit to ${overweight.join(", ")}`);
  process.exit(1);
}
EOF

step "writing $out"
if [[ -d "$out" && -n "$(ls -A "$out")" ]]; then
    [[ -f "$out/manifest.txt" ]] || fail "$out is not empty and was not written by this script; refusing to replace it"
    find "$out" -mindepth 1 -delete
fi
mkdir -p "$out"
cp "$stage/site/"* "$out/"
ls -l "$out"
printf '\nbuilt the page in %ss\n' "$((SECONDS - started))"
